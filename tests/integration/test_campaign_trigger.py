"""API-triggered campaigns: one run per request, template vars, the transactional rules."""

from __future__ import annotations

import asyncpg
import httpx
import pytest
from temporalio.client import Client

from services.campaign_client import transactional_queue, trigger_workflow_id
from tests.integration.campaign_helpers import (
    assert_replays,
    make_audience,
    make_template,
    uid,
    wait_run,
)
from workers.worker import Runtime

pytestmark = pytest.mark.integration


async def test_transactional_trigger_bypasses_caps_and_topics_not_channel_consent(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    pool: asyncpg.Pool,
    runtime: Runtime,
    temporal_client: Client,
) -> None:
    ok, capped, left_topic, left_channel = [uid("p") for _ in range(4)]
    await make_audience(pool, [ok, capped, left_topic, left_channel])  # creates the profiles
    template = await make_template(
        pool,
        channel="in_app",
        subject="Order {{ vars.order }}",
        body="Thanks {{ profile.profile_id }}, order {{ vars.order }} is confirmed",
        topic="orders",
        transactional=True,
    )
    await pool.execute(
        "INSERT INTO subscriptions (profile_id, channel, topic, status) VALUES "
        "($1, 'in_app', 'orders', 'unsubscribed'), ($2, 'in_app', NULL, 'unsubscribed')",
        left_topic,
        left_channel,
    )
    campaign = uid("receipt")
    resp = await api_client.post(
        "/v1/campaigns",
        json={
            "id": campaign,
            "name": "Order confirmation",
            "kind": "triggered",
            "channel": "in_app",
            "template": template,
            "transactional": True,
        },
        headers=admin_headers,
    )
    assert resp.status_code == 201, resp.text
    cap = {"max_messages": 0, "window": "P1D"}
    assert (
        await api_client.put("/v1/frequency-caps/in_app", json=cap, headers=admin_headers)
    ).status_code in (200, 201)
    try:
        runs = []
        for order, profiles in (("A-1", [ok, capped, left_topic, left_channel]), ("A-2", [ok])):
            resp = await api_client.post(
                f"/v1/campaigns/{campaign}/trigger",
                json={"profile_ids": profiles, "vars": {"order": order}},
                headers=admin_headers,
            )
            assert resp.status_code == 202, resp.text
            runs.append(resp.json()["run_id"])
        first = await wait_run(api_client, admin_headers, campaign, runs[0])
        second = await wait_run(api_client, admin_headers, campaign, runs[1])
    finally:
        await api_client.delete("/v1/frequency-caps/in_app", headers=admin_headers)
    assert first["status"] == "completed" and first["total"] == 4
    assert first["sent"] == 3 and first["skipped"] == {"unsubscribed from in_app": 1}
    assert second["sent"] == 1 and second["total"] == 1
    inbox = await pool.fetch(
        "SELECT title, body FROM inbox WHERE profile_id = $1 ORDER BY title", ok
    )
    assert [(r["title"], r["body"]) for r in inbox] == [
        ("Order A-1", f"Thanks {ok}, order A-1 is confirmed"),
        ("Order A-2", f"Thanks {ok}, order A-2 is confirmed"),
    ]
    described = await temporal_client.get_workflow_handle(first["workflow_id"]).describe()
    assert described.task_queue == transactional_queue("wayline")
    assert first["workflow_id"] == trigger_workflow_id(campaign, runs[0])
    await assert_replays(temporal_client, first["workflow_id"])  # a running inbox too


async def test_marketing_trigger_obeys_caps_and_needs_its_kind(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    pool: asyncpg.Pool,
    runtime: Runtime,
) -> None:
    profile = uid("p")
    audience = await make_audience(pool, [profile])
    template = await make_template(pool, topic="promo", body="Hi {{ vars.name }}")
    campaign = uid("nudge")
    body = {
        "id": campaign,
        "name": "Nudge",
        "kind": "triggered",
        "channel": "log",
        "template": template,
        "transactional": True,
    }
    resp = await api_client.post("/v1/campaigns", json=body, headers=admin_headers)
    assert resp.status_code == 422, resp.text
    assert resp.json()["fields"][0]["field"] == "transactional"
    body["transactional"] = False
    resp = await api_client.post("/v1/campaigns", json=body, headers=admin_headers)
    assert resp.status_code == 201, resp.text
    await pool.execute(
        "INSERT INTO subscriptions (profile_id, channel, topic, status) "
        "VALUES ($1, 'log', 'promo', 'unsubscribed')",
        profile,
    )
    resp = await api_client.post(
        f"/v1/campaigns/{campaign}/trigger",
        json={"profile_ids": [profile, uid("unknown")], "vars": {"name": "Ada"}},
        headers=admin_headers,
    )
    assert resp.status_code == 202, resp.text
    run = await wait_run(api_client, admin_headers, campaign, resp.json()["run_id"])
    assert run["sent"] == 1 and run["skipped"] == {"unsubscribed from log topic 'promo'": 1}
    resp = await api_client.post(f"/v1/campaigns/{campaign}/runs", headers=admin_headers)
    assert resp.status_code == 409, resp.text
    other = uid("action")
    resp = await api_client.post(
        "/v1/campaigns",
        json={
            "id": other,
            "name": "A",
            "audience_id": audience,
            "channel": "log",
            "template": template,
        },
        headers=admin_headers,
    )
    assert resp.status_code == 201, resp.text
    resp = await api_client.post(
        f"/v1/campaigns/{other}/trigger", json={"profile_ids": [profile]}, headers=admin_headers
    )
    assert resp.status_code == 409, resp.text
