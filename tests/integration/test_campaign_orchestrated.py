"""Orchestrated campaigns: a rule split with a message per branch, a wait, and a follow-up
only to those who did not open the first message."""

from __future__ import annotations

import asyncpg
import httpx
import pytest
from temporalio.client import Client

from campaigns.plan import campaign_message_id
from core.campaign_contracts import CampaignProgress
from tests.integration.campaign_helpers import (
    assert_replays,
    make_audience,
    make_template,
    uid,
    until_ledger,
)
from workers.worker import Runtime

pytestmark = pytest.mark.integration


async def test_branches_wait_and_follow_up_to_non_openers(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    pool: asyncpg.Pool,
    runtime: Runtime,
    temporal_client: Client,
) -> None:
    profiles = [uid("p") for _ in range(6)]
    pros = profiles[:2]
    audience = await make_audience(pool, profiles)
    await pool.execute(
        'UPDATE profiles SET attributes = \'{"plan": "pro"}\' WHERE profile_id = ANY($1)', pros
    )
    pro_tpl = await make_template(pool, body="Pro offer for {{ profile.profile_id }}")
    rest_tpl = await make_template(pool, body="Offer for {{ profile.profile_id }}")
    follow_tpl = await make_template(pool, body="Last chance, {{ profile.profile_id }}")
    campaign = uid("launch")
    resp = await api_client.post(
        "/v1/campaigns",
        json={
            "id": campaign,
            "name": "Launch",
            "kind": "orchestrated",
            "audience_id": audience,
            "channel": "log",
            "template": rest_tpl,
            "orchestration": {
                "branches": [
                    {
                        "name": "pro",
                        "when": "profile.attributes.plan == 'pro'",
                        "channel": "log",
                        "template": pro_tpl,
                    },
                    {"name": "rest", "channel": "log", "template": rest_tpl},
                ],
                "follow_up": {
                    "unless": "opened",
                    "wait": "PT5S",
                    "channel": "log",
                    "template": follow_tpl,
                },
            },
        },
        headers=admin_headers,
    )
    assert resp.status_code == 201, resp.text
    resp = await api_client.post(f"/v1/campaigns/{campaign}/runs", headers=admin_headers)
    assert resp.status_code == 201, resp.text
    run = resp.json()
    await until_ledger(pool, campaign, 6)
    opened = [pros[0], profiles[4]]
    for profile in opened:  # what the open pixel records (api/routes/tracking.py)
        message_id = campaign_message_id(campaign, run["run_id"], profile)
        await pool.execute(
            "INSERT INTO events (event_id, name, profile_id, ts, properties) "
            "VALUES ($1, 'message.opened', $2, now(), $3)",
            f"message.opened:{message_id}",
            profile,
            {"message_id": message_id, "journey_id": None},
        )
    handle = temporal_client.get_workflow_handle(run["workflow_id"], result_type=CampaignProgress)
    result = await handle.result()
    assert result.status == "completed"
    assert result.branches == {"pro": 2, "rest": 4, "follow_up": 4}
    assert result.sent == 10 and result.remaining == 0
    await assert_replays(temporal_client, run["workflow_id"])
    rows = await pool.fetch(
        "SELECT profile_id, node_id, body FROM messages WHERE campaign_id = $1", campaign
    )
    by_node: dict[str, set[str]] = {}
    for r in rows:
        by_node.setdefault(r["node_id"], set()).add(r["profile_id"])
    assert by_node["pro"] == set(pros)
    assert by_node["rest"] == set(profiles[2:])
    assert by_node["follow_up"] == set(profiles) - set(opened)
    bodies = {(r["node_id"], r["profile_id"]): r["body"] for r in rows}
    assert bodies[("pro", pros[1])] == f"Pro offer for {pros[1]}"
    assert bodies[("follow_up", pros[1])] == f"Last chance, {pros[1]}"


async def test_orchestration_validation_names_fields(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], pool: asyncpg.Pool
) -> None:
    audience = await make_audience(pool, [uid("p")])
    template = await make_template(pool)
    body = {
        "id": uid("bad"),
        "name": "Bad",
        "kind": "orchestrated",
        "audience_id": audience,
        "channel": "log",
        "template": template,
        "orchestration": {
            "branches": [
                {"name": "a", "weight": 60, "channel": "log", "template": template},
                {"name": "b", "weight": 30, "channel": "log", "template": template},
            ]
        },
    }
    resp = await api_client.post("/v1/campaigns", json=body, headers=admin_headers)
    assert resp.status_code == 422, resp.text
    assert resp.json()["fields"][0]["field"] == "orchestration"
    assert "add up to 100" in resp.json()["fields"][0]["message"]
    body["orchestration"] = {
        "branches": [
            {"name": "a", "when": "profile.(", "channel": "log", "template": template},
            {"name": "b", "channel": "log", "template": "missing-template"},
        ]
    }
    resp = await api_client.post("/v1/campaigns", json=body, headers=admin_headers)
    assert resp.status_code == 422, resp.text
    fields = {f["field"] for f in resp.json()["fields"]}
    assert fields == {"orchestration.branches[0].when", "orchestration.branches[1].template"}
