"""Publishing, pinning and stopping through the API, with the router learning of each change
by NOTIFY; the Temporal side is observable through search attributes and the state query."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from temporalio.client import Client

from core.names import journey_workflow_id
from tests.integration.helpers import eventually
from tests.integration.test_abandoned_cart import messages_for
from workers.worker import Runtime

pytestmark = pytest.mark.integration


def definition(jid: str, template: str) -> dict[str, Any]:
    return {
        "id": jid,
        "name": "Pinning",
        "entry": {"event": f"{jid}.signed_up"},
        "start": "hold",
        "nodes": {
            "hold": {
                "type": "wait_for_event",
                "event": "go",
                "timeout": "PT60S",
                "on_event": "hello",
                "on_timeout": "done",
            },
            "hello": {"type": "message", "channel": "log", "template": template, "next": "done"},
            "done": {"type": "end"},
        },
    }


async def test_versions_pin_running_profiles_and_stop_ends_entries(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    runtime: Runtime,
    temporal_client: Client,
) -> None:
    api, h = api_client, admin_headers
    jid, run = f"pin-{uuid.uuid4().hex[:6]}", uuid.uuid4().hex[:6]
    for tpl in ("v1", "v2"):
        resp = await api.put(
            f"/v1/templates/{run}-{tpl}", json={"channel": "log", "body": f"from {tpl}"}, headers=h
        )
        assert resp.is_success, resp.text

    async def publish(tpl: str) -> int:
        resp = await api.put(f"/v1/journeys/{jid}", json=definition(jid, f"{run}-{tpl}"), headers=h)
        assert resp.is_success, resp.text
        resp = await api.post(f"/v1/journeys/{jid}/publish", headers=h)
        assert resp.is_success, resp.text
        return int(resp.json()["version"])

    async def event(name: str, profile: str) -> None:
        resp = await api.post("/v1/events", json={"name": name, "profile_id": profile}, headers=h)
        assert resp.status_code == 202, resp.text

    async def waiting_at_hold(profile: str) -> bool:
        handle = temporal_client.get_workflow_handle(journey_workflow_id(jid, profile))
        try:
            state = await handle.query("state")
        except Exception:
            return False
        return bool(state) and state["node"] == "hold"

    old, new, late = f"{run}-old", f"{run}-new", f"{run}-late"
    assert await publish("v1") == 1
    await event(f"{jid}.signed_up", old)
    await eventually(lambda: waiting_at_hold(old))
    assert await publish("v2") == 2
    await asyncio.sleep(1.0)  # the router learns of a publish by NOTIFY, well within a second
    await event(f"{jid}.signed_up", new)
    await eventually(lambda: waiting_at_hold(new))

    query = f'JourneyId="{jid}" AND CurrentNode="hold"'
    found = await eventually(lambda: _count(temporal_client, query), limit=20)
    assert found == 2

    resp = await api.post(f"/v1/journeys/{jid}/stop", headers=h)
    assert resp.is_success, resp.text
    await asyncio.sleep(1.0)
    await event(f"{jid}.signed_up", late)
    for profile in (old, new):
        await event("go", profile)
    old_msgs = await eventually(lambda: messages_for(api, h, old, jid))
    new_msgs = await eventually(lambda: messages_for(api, h, new, jid))
    assert [(m["body"], m["version"]) for m in old_msgs] == [("from v1", 1)]
    assert [(m["body"], m["version"]) for m in new_msgs] == [("from v2", 2)]
    resp = await api.get(f"/v1/profiles/{late}/journeys", headers=h)
    assert [r for r in resp.json()["items"] if r["journey_id"] == jid] == [], (
        "a stopped journey takes no new entries"
    )


async def _count(client: Client, query: str) -> int:
    return len([wf async for wf in client.list_workflows(query)])
