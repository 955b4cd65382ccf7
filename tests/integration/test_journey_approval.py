"""Journey approval: a journey that requires it is published only once a second key approved
its current draft; a changed draft withdraws the approval. And the journey says how many
profiles are still inside each version (the step ledger's open visits)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import httpx
import pytest

from tests.integration.conftest import KeyMaker
from tests.integration.helpers import eventually, uid
from workers.worker import Runtime

pytestmark = pytest.mark.integration


def definition(jid: str, template: str, timeout: str = "PT60S") -> dict[str, Any]:
    return {
        "id": jid,
        "name": "Approved",
        "entry": {"event": f"{jid}.signed_up"},
        "start": "hold",
        "nodes": {
            "hold": {
                "type": "wait_for_event",
                "event": "go",
                "timeout": timeout,
                "on_event": "hello",
                "on_timeout": "done",
            },
            "hello": {"type": "message", "channel": "log", "template": template, "next": "done"},
            "done": {"type": "end"},
        },
    }


async def key_id(api: httpx.AsyncClient, headers: dict[str, str]) -> str:
    resp = await api.get("/v1/me", headers=headers)
    assert resp.status_code == 200, resp.text
    return str(resp.json()["key_id"])


async def template(api: httpx.AsyncClient, headers: dict[str, str]) -> str:
    name = uid("approval-tpl")
    resp = await api.put(
        f"/v1/templates/{name}", json={"channel": "log", "body": "hi"}, headers=headers
    )
    assert resp.is_success, resp.text
    return name


async def test_publish_waits_for_a_second_key_and_a_change_withdraws_the_approval(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], make_key: KeyMaker
) -> None:
    api = api_client
    author = await make_key("journeys:write", "read", name="journey-author")
    approver = await make_key("journeys:approve", "read", name="journey-approver")
    both = await make_key("journeys:write", "journeys:approve", "read", name="journey-both")
    author_id, approver_id = await key_id(api, author), await key_id(api, approver)
    jid, tpl = uid("approve"), await template(api, admin_headers)
    base = f"/v1/journeys/{jid}"

    resp = await api.put(base, json=definition(jid, tpl), headers=author)
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert (body["requires_approval"], body["approval"]["state"]) == (False, "none")
    assert body["approval"]["draft_updated_by"] == {"key_id": author_id, "name": "journey-author"}
    resp = await api.post(f"{base}/approval-request", headers=author)
    assert resp.status_code == 409 and "does not require approval" in resp.json()["message"]

    resp = await api.put(
        f"{base}/approval-policy", json={"requires_approval": True}, headers=author
    )
    assert resp.status_code == 200 and resp.json()["requires_approval"] is True, resp.text
    resp = await api.post(f"{base}/publish", headers=author)
    assert resp.status_code == 409, resp.text
    assert resp.json()["message"].startswith(f"journey {jid!r} awaits approval")

    # The author asks; neither the author nor a key that asked may approve.
    resp = await api.post(f"{base}/approval-request", headers=author)
    assert resp.status_code == 200, resp.text
    approval = resp.json()["approval"]
    assert (approval["state"], approval["requested_by"]) == (
        "requested",
        {"key_id": author_id, "name": "journey-author"},
    )
    resp = await api.post(f"{base}/approve", headers=author)
    assert resp.status_code == 403 and "journeys:approve" in resp.json()["message"]
    resp = await api.post(f"{base}/approval-request", headers=both)
    assert resp.status_code == 200, resp.text
    resp = await api.post(f"{base}/approve", headers=both)
    assert resp.status_code == 403, resp.text
    assert resp.json()["message"] == "a second user must approve: this key asked for the approval"
    resp = await api.post(f"{base}/publish", headers=author)
    assert resp.status_code == 409, resp.text

    # An approval of a draft read before it changed is refused.
    stale = "2020-01-01T00:00:00+00:00"
    resp = await api.post(f"{base}/approve", json={"draft_updated_at": stale}, headers=approver)
    assert resp.status_code == 409 and "changed since it was read" in resp.json()["message"]
    seen = approval["draft_updated_at"]
    resp = await api.post(f"{base}/approve", json={"draft_updated_at": seen}, headers=approver)
    assert resp.status_code == 200, resp.text
    approval = resp.json()["approval"]
    assert approval["state"] == "approved"
    assert approval["approved_by"] == {"key_id": approver_id, "name": "journey-approver"}
    assert approval["requested_by"]["name"] == "journey-both"
    assert approval["draft_updated_at"] == seen and approval["approved_at"]

    # Saving the same draft again keeps the approval (the designer saves before publishing).
    resp = await api.put(base, json=definition(jid, tpl), headers=author)
    assert resp.status_code == 200 and resp.json()["approval"]["state"] == "approved"
    resp = await api.post(f"{base}/publish", headers=author)
    assert resp.status_code == 201 and resp.json()["version"] == 1, resp.text

    # A changed draft withdraws the approval: publish is refused again.
    resp = await api.put(base, json=definition(jid, tpl, timeout="PT2M"), headers=both)
    assert resp.status_code == 200, resp.text
    approval = resp.json()["approval"]
    assert {k: approval[k] for k in ("state", "requested_by", "approved_by", "approved_at")} == {
        "state": "none",
        "requested_by": None,
        "approved_by": None,
        "approved_at": None,
    }
    assert datetime.fromisoformat(approval["draft_updated_at"]) > datetime.fromisoformat(seen)
    resp = await api.post(f"{base}/publish", headers=author)
    assert resp.status_code == 409, resp.text
    resp = await api.post(f"{base}/approve", headers=both)
    assert resp.status_code == 403, resp.text
    assert resp.json()["message"] == (
        "a second user must approve: this key made the last change to the draft"
    )
    resp = await api.post(f"{base}/approve", headers=approver)
    assert resp.status_code == 200 and resp.json()["approval"]["requested_by"] is None
    resp = await api.post(f"{base}/publish", headers=author)
    assert resp.status_code == 201 and resp.json()["version"] == 2, resp.text
    got = (await api.get(base, headers=author)).json()
    assert (got["live_version"], got["approval"]["state"]) == (2, "approved")


async def test_approval_needs_a_journey_with_a_draft(
    api_client: httpx.AsyncClient, make_key: KeyMaker
) -> None:
    approver = await make_key("journeys:approve", name="journey-approver")
    missing = uid("missing")
    resp = await api_client.post(f"/v1/journeys/{missing}/approve", headers=approver)
    assert resp.status_code == 404 and resp.json()["message"] == f"journey {missing!r} not found"
    resp = await api_client.put(
        f"/v1/journeys/{missing}/approval-policy",
        json={"requires_approval": True},
        headers=approver,
    )
    assert resp.status_code == 403, resp.text  # journeys:write sets the policy


async def test_in_flight_counts_the_profiles_still_on_each_version(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], runtime: Runtime
) -> None:
    api, h = api_client, admin_headers
    jid, tpl = uid("inflight"), await template(api, h)

    async def publish(wait: str) -> int:
        resp = await api.put(f"/v1/journeys/{jid}", json=definition(jid, tpl, wait), headers=h)
        assert resp.is_success, resp.text
        resp = await api.post(f"/v1/journeys/{jid}/publish", headers=h)
        assert resp.is_success, resp.text
        return int(resp.json()["version"])

    async def enter(profile: str) -> None:
        event = {"name": f"{jid}.signed_up", "profile_id": profile}
        resp = await api.post("/v1/events", json=event, headers=h)
        assert resp.status_code == 202, resp.text

    async def in_flight(expected: list[dict[str, int]]) -> list[dict[str, int]] | None:
        resp = await api.get(f"/v1/journeys/{jid}", headers=h)
        assert resp.status_code == 200, resp.text
        found: list[dict[str, int]] = resp.json()["in_flight"]
        return found if found == expected else None

    assert (await api.get(f"/v1/journeys/{jid}", headers=h)).status_code == 404
    assert await publish("PT60S") == 1
    assert await in_flight([]) == []
    await enter(uid("p"))
    await eventually(lambda: in_flight([{"version": 1, "profiles": 1}]))
    assert await publish("PT90S") == 2
    await asyncio.sleep(1.0)  # the router learns of a publish by NOTIFY, well within a second
    for _ in range(2):
        await enter(uid("p"))
    expected = [{"version": 1, "profiles": 1}, {"version": 2, "profiles": 2}]
    assert await eventually(lambda: in_flight(expected)) == expected
