"""A journey with a `decide` node, end to end through the API and the worker: the message it
sends shows the offer chosen for the profile, and the proposition is recorded once."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from tests.integration.helpers import eventually

pytestmark = pytest.mark.integration

JOURNEY_YAML = """
id: {jid}
name: Offer of the day
entry: {{event: visit.started}}
timeout: P1D
start: pick
nodes:
  pick: {{type: decide, decision: {decision}, next: tell}}
  tell: {{type: message, channel: log, template: {tpl}, next: done}}
  done: {{type: end}}
"""


async def test_decide_node_feeds_the_message(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    pool: asyncpg.Pool,
    runtime: object,
) -> None:
    api, h = api_client, admin_headers
    suffix = uuid.uuid4().hex[:8]
    slot, jid, tpl, decision = f"slot-{suffix}", f"dj-{suffix}", f"t-{suffix}", f"d-{suffix}"

    async def put(path: str, body: dict[str, Any]) -> None:
        resp = await api.put(path, json=body, headers=h)
        assert resp.status_code in (200, 201), resp.text

    await put(f"/v1/placements/{slot}", {"name": "Body", "channel": "log", "content_type": "text"})
    for offer, priority, plan in (("gold", 50, "pro"), ("basic", 10, None)):
        rule = {"eligibility": {"when": f"profile.attributes.plan == '{plan}'"}} if plan else {}
        body = {
            "name": f"{offer.title()} offer",
            "tags": [suffix],
            "priority": priority,
            "representations": {slot: {"content": f"{offer} deal"}},
            **rule,
        }
        await put(f"/v1/offers/{offer}-{suffix}", body)
    await put(
        f"/v1/decisions/{decision}",
        {"name": "Of the day", "placements": [slot], "candidates": {"tags": [suffix]}},
    )
    await put(
        f"/v1/templates/{tpl}",
        {
            "channel": "log",
            "body": f"{{{{ decide('{slot}') }}}} ({{{{ vars.pick.offers[0].name }}}})",
        },
    )
    yaml_headers = {**h, "Content-Type": "application/yaml"}
    resp = await api.put(
        f"/v1/journeys/{jid}",
        content=JOURNEY_YAML.format(jid=jid, tpl=tpl, decision=decision),
        headers=yaml_headers,
    )
    assert resp.status_code in (200, 201), resp.text
    assert (await api.post(f"/v1/journeys/{jid}/publish", headers=h)).status_code in (200, 201)

    pro, free = f"pro-{suffix}", f"free-{suffix}"
    for pid, plan in ((pro, "pro"), (free, "free")):
        await put(f"/v1/profiles/{pid}", {"attributes": {"plan": plan}})
        resp = await api.post(
            "/v1/events", json={"name": "visit.started", "profile_id": pid}, headers=h
        )
        assert resp.status_code == 202, resp.text

    async def bodies() -> dict[str, str] | None:
        found = {}
        for pid in (pro, free):
            resp = await api.get(
                "/v1/messages", params={"profile_id": pid, "journey_id": jid}, headers=h
            )
            items = resp.json()["items"]
            if not items:
                return None
            found[pid] = items[0]["body"]
        return found

    assert await eventually(bodies) == {
        pro: "gold deal (Gold offer)",
        free: "basic deal (Basic offer)",
    }
    rows = await pool.fetch(
        "SELECT profile_id, request_id FROM propositions WHERE policy_id = $1 ORDER BY 1",
        decision,
    )
    assert [r["profile_id"] for r in rows] == sorted([free, pro])
    # The request id is the node's step id (a uuid5): a retried activity meets its proposition.
    assert all(uuid.UUID(r["request_id"]).version == 5 for r in rows)


async def test_test_mode_cans_the_decision_and_records_nothing(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], pool: asyncpg.Pool
) -> None:
    api, h = api_client, admin_headers
    suffix = uuid.uuid4().hex[:8]
    jid, tpl, decision = f"dt-{suffix}", f"t-{suffix}", f"d-{suffix}"
    resp = await api.put(
        f"/v1/templates/{tpl}",
        json={"channel": "log", "body": "[{{ decide('hero') }}]"},
        headers=h,
    )
    assert resp.status_code == 201, resp.text
    draft = JOURNEY_YAML.format(jid=jid, tpl=tpl, decision=decision)
    resp = await api.put(
        f"/v1/journeys/{jid}", content=draft, headers={**h, "Content-Type": "application/yaml"}
    )
    assert resp.status_code in (200, 201), resp.text
    canned = {"proposition_id": "prop_test", "offers": [{"placement": "hero", "content": "Gold"}]}
    body = {"profile": {"profile_id": "ada"}, "action_responses": {decision: canned}}
    out = (await api.post(f"/v1/journeys/{jid}/test", json=body, headers=h)).json()
    assert out["status"] == "completed", out
    decided, message = out["steps"]
    assert {k: decided[k] for k in ("kind", "node", "decision", "response")} == {
        "kind": "decide",
        "node": "pick",
        "decision": decision,
        "response": canned,
    }
    assert message["body"] == "[Gold]"
    body["action_responses"] = {}
    out = (await api.post(f"/v1/journeys/{jid}/test", json=body, headers=h)).json()
    assert out["steps"][1]["body"] == "[]" and out["vars"]["pick"]["offers"] == []
    recorded = await pool.fetchval(
        "SELECT count(*) FROM propositions WHERE policy_id = $1", decision
    )
    assert recorded == 0


async def test_publish_refuses_a_decision_policy_that_does_not_exist(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    suffix = uuid.uuid4().hex[:8]
    jid, tpl, decision = f"dn-{suffix}", f"t-{suffix}", f"missing-{suffix}"
    h = admin_headers
    resp = await api_client.put(
        f"/v1/templates/{tpl}", json={"channel": "log", "body": "hi"}, headers=h
    )
    assert resp.status_code == 201, resp.text
    draft = JOURNEY_YAML.format(jid=jid, tpl=tpl, decision=decision)
    yaml_headers = {**h, "Content-Type": "application/yaml"}
    assert (
        await api_client.put(f"/v1/journeys/{jid}", content=draft, headers=yaml_headers)
    ).status_code == 201
    checked = await api_client.post(
        "/v1/journeys/validate?check_templates=true", content=draft, headers=yaml_headers
    )
    assert checked.json()["problems"] == [
        {"path": "nodes.pick.decision", "message": f"unknown decision policy {decision!r}"}
    ]
    refused = await api_client.post(f"/v1/journeys/{jid}/publish", headers=h)
    assert refused.status_code == 422, refused.text
    assert [f["field"] for f in refused.json()["fields"]] == ["nodes.pick.decision"]
