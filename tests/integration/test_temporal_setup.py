"""`wayline temporal setup` on the test dev server (fresh namespaces), and what operators see
of a started journey in the Temporal UI: readable id, memo, search attributes."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from google.protobuf.duration_pb2 import Duration
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.api.workflowservice.v1 import (
    DescribeNamespaceRequest,
    RegisterNamespaceRequest,
)
from temporalio.client import Client
from temporalio.service import RPCError

from cli.main import main
from core.names import SEARCH_ATTRIBUTES
from core.settings import Settings
from services.journey_client import JOURNEY_ID, JOURNEY_VERSION, PROFILE_ID, enter_journey
from tests.integration.helpers import event

pytestmark = pytest.mark.integration


async def fresh_namespace(client: Client) -> str:
    ns = f"wl-setup-{uuid.uuid4().hex[:8]}"
    await client.workflow_service.register_namespace(
        RegisterNamespaceRequest(
            namespace=ns, workflow_execution_retention_period=Duration(seconds=86_400)
        )
    )
    for _ in range(100):  # the frontend's namespace cache catches up within seconds
        try:
            await client.workflow_service.describe_namespace(DescribeNamespaceRequest(namespace=ns))
            return ns
        except RPCError:
            await asyncio.sleep(0.1)
    raise AssertionError(f"namespace {ns} never appeared")


async def custom_attributes(client: Client, ns: str) -> dict[str, int]:
    resp = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=ns)
    )
    return dict(resp.custom_attributes)


async def test_setup_registers_every_attribute_then_is_idempotent(
    temporal_client: Client,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ns = await fresh_namespace(temporal_client)
    assert not set(SEARCH_ATTRIBUTES) & set(await custom_attributes(temporal_client, ns))
    monkeypatch.setenv("TEMPORAL_ADDRESS", settings.temporal_address)
    monkeypatch.setenv("TEMPORAL_NAMESPACE", ns)

    assert await asyncio.to_thread(main, ["temporal", "setup"]) == 0
    out = capsys.readouterr().out
    for name in SEARCH_ATTRIBUTES:
        assert f"added search attribute {name} to namespace {ns}" in out
    found = await custom_attributes(temporal_client, ns)
    assert found["JourneyId"] == IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD
    assert found["JourneyVersion"] == IndexedValueType.INDEXED_VALUE_TYPE_INT
    assert found["CurrentNode"] == IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD

    assert await asyncio.to_thread(main, ["temporal", "setup"]) == 0
    out = capsys.readouterr().out
    assert "added" not in out
    assert f"already registered in namespace {ns}: " + ", ".join(SEARCH_ATTRIBUTES) in out


async def test_setup_refuses_an_attribute_of_another_type(
    temporal_client: Client,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ns = await fresh_namespace(temporal_client)
    await temporal_client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=ns,
            search_attributes={"CurrentNode": IndexedValueType.INDEXED_VALUE_TYPE_INT},
        )
    )
    monkeypatch.setenv("TEMPORAL_ADDRESS", settings.temporal_address)
    monkeypatch.setenv("TEMPORAL_NAMESPACE", ns)

    assert await asyncio.to_thread(main, ["temporal", "setup"]) == 1
    err = capsys.readouterr().err
    assert "CurrentNode exists as Int, Wayline needs Keyword" in err
    found = await custom_attributes(temporal_client, ns)
    assert "JourneyId" not in found, "nothing is added when one attribute conflicts"


async def test_a_started_journey_carries_memo_and_search_attributes(
    temporal_client: Client,
) -> None:
    journey = f"memo-{uuid.uuid4().hex[:8]}"
    # A task queue no worker polls: the run stays as started, for describe() to read.
    await enter_journey(
        temporal_client,
        f"nobody-{journey}",
        journey_id=journey,
        version=3,
        name="Memo journey",
        event=event("memo.go", "p-memo"),
    )
    handle = temporal_client.get_workflow_handle(f"journey:{journey}:p-memo")
    try:
        desc = await handle.describe()
        assert await desc.memo() == {"journey_name": "Memo journey", "journey_version": 3}
        attrs = desc.typed_search_attributes
        assert attrs.get(JOURNEY_ID) == journey
        assert attrs.get(JOURNEY_VERSION) == 3
        assert attrs.get(PROFILE_ID) == "p-memo"
    finally:
        await handle.terminate("test done")
