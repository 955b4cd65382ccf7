"""Custom actions: the resource API, the SSRF refusal, secrets, response fields, errors."""

from __future__ import annotations

import uuid

import asyncpg
import httpx
import pytest
from temporalio.exceptions import ApplicationError

from activities.actions import ActionActivities
from activities.http_guard import GuardedClient
from core.contracts import ActionCallInput
from tests.integration.provider import FakeProvider

pytestmark = pytest.mark.integration


def call(name: str, **params: object) -> ActionCallInput:
    return ActionCallInput(
        call_id=str(uuid.uuid4()),
        kind="action",
        name=name,
        params=dict(params),
        profile_id="p-1",
        journey={"id": "j", "version": 1},
        node_id="crm",
    )


async def put_action(
    api: httpx.AsyncClient, h: dict[str, str], name: str, spec: dict[str, object]
) -> httpx.Response:
    return await api.put(f"/v1/actions/{name}", json=spec, headers=h)


async def test_action_resource_validates_fields(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    name = f"a-{uuid.uuid4().hex[:6]}"
    resp = await put_action(
        api_client,
        admin_headers,
        name,
        {
            "url": "ftp://example.com",
            "timeout_seconds": 0,
            "auth": {"type": "digest", "secret": "x"},
        },
    )
    assert resp.status_code == 422
    fields = {f["field"] for f in resp.json()["fields"]}
    assert {"url", "timeout_seconds", "auth.type"} <= fields
    ok = {
        "url": "https://crm.example.com/users/{{ params.id }}",
        "rate_limit": 5,
        "body": '{"plan": "{{ params.plan }}"}',
        "response_fields": ["score"],
    }
    assert (await put_action(api_client, admin_headers, name, ok)).status_code == 201
    got = await api_client.get(f"/v1/actions/{name}", headers=admin_headers)
    assert got.json()["spec"]["rate_limit"] == 5


async def test_internal_address_is_refused_unless_allowed(
    pool: asyncpg.Pool,
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    name = f"a-{uuid.uuid4().hex[:6]}"
    monkeypatch.setenv(f"WAYLINE_SECRET_{name.upper().replace('-', '_')}", "s3cret")
    with FakeProvider() as provider:
        provider.response = {"score": 42, "internal": "do not leak", "nested": {"a": 1, "b": 2}}
        spec = {
            "url": provider.url + "?u={{ params.id }}",
            "body": '{"id": "{{ params.id }}"}',
            "response_fields": ["score", "nested.a"],
            "auth": {"type": "bearer", "secret": name.replace("-", "_")},
        }
        assert (await put_action(api_client, admin_headers, name, spec)).is_success
        async with GuardedClient() as guarded, GuardedClient(frozenset({"127.0.0.1"})) as http:
            refused = await ActionActivities(pool, guarded).call_action(call(name, id="u1"))
            assert not refused.ok and "internal address 127.0.0.1" in (refused.error or "")
            assert provider.requests == [], "a refused call never leaves the worker"
            allowed = ActionActivities(pool, http)
            inp = call(name, id="u1")
            result = await allowed.call_action(inp)
            again = await allowed.call_action(inp)
    assert result.ok and result.response == {"score": 42, "nested": {"a": 1}}
    assert again == result and len(provider.requests) == 1, "a finished call is not repeated"
    key, body = provider.requests[0]
    assert key == inp.call_id and body == {"id": "u1"}
    assert provider.headers[0]["Authorization"] == "Bearer s3cret"
    row = await pool.fetchrow(
        "SELECT status, request FROM action_calls WHERE call_id = $1", inp.call_id
    )
    assert row is not None and row["status"] == "succeeded"
    assert row["request"]["url"].endswith("?u=u1")


async def test_errors_final_or_retryable(
    pool: asyncpg.Pool, api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    name = f"a-{uuid.uuid4().hex[:6]}"
    with FakeProvider() as provider:
        assert await put_action(api_client, admin_headers, name, {"url": provider.url})
        async with GuardedClient(frozenset({"127.0.0.1"})) as http:
            acts = ActionActivities(pool, http)
            provider.status = 503
            with pytest.raises(ApplicationError):
                await acts.call_action(call(name))
            provider.status = 404
            final = await acts.call_action(call(name))
            missing = await acts.call_action(call("no-such-action"))
    assert not final.ok and "404" in (final.error or "")
    assert not missing.ok and "does not exist" in (missing.error or "")
