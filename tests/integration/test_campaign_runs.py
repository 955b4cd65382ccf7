"""Action campaigns end to end over the API: definition, a run, its ledger and progress."""

from __future__ import annotations

import asyncpg
import httpx
import pytest
from temporalio.client import Client

from campaigns.plan import campaign_message_id
from core.campaign_contracts import CAMPAIGN_ID, CAMPAIGN_SENT, CampaignProgress
from core.names import CAMPAIGN_PROGRESS_QUERY
from tests.integration.campaign_helpers import (
    assert_replays,
    make_audience,
    make_template,
    uid,
    wait_run,
)
from workers.worker import Runtime

pytestmark = pytest.mark.integration


async def test_action_campaign_sends_once_to_each_member(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    pool: asyncpg.Pool,
    runtime: Runtime,
    temporal_client: Client,
) -> None:
    profiles = [uid("p") for _ in range(23)]
    audience = await make_audience(pool, profiles)
    template = await make_template(pool, topic="news")
    campaign = uid("spring")
    # One profile left the topic, one has no email address (log still sends: no address needed)
    await pool.execute(
        "INSERT INTO subscriptions (profile_id, channel, topic, status) "
        "VALUES ($1, 'log', 'news', 'unsubscribed')",
        profiles[0],
    )
    resp = await api_client.post(
        "/v1/campaigns",
        json={
            "id": campaign,
            "name": "Spring sale",
            "audience_id": audience,
            "channel": "log",
            "template": template,
        },
        headers=admin_headers,
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["topic"] is None and resp.json()["kind"] == "action"
    resp = await api_client.post(
        f"/v1/campaigns/{campaign}/runs",
        json={"batch_size": 5, "parallel": 2},
        headers=admin_headers,
    )
    assert resp.status_code == 201, resp.text
    run = resp.json()["run_id"]
    body = await wait_run(api_client, admin_headers, campaign, run)
    assert body["status"] == "completed"
    assert body["total"] == 23 and body["remaining"] == 0
    assert body["sent"] == 22 and body["failed"] == 0
    assert body["skipped"] == {"unsubscribed from log topic 'news'": 1}
    rows = await pool.fetch(
        "SELECT profile_id, message_id, status, body FROM messages WHERE campaign_id = $1",
        campaign,
    )
    assert sorted(r["profile_id"] for r in rows) == sorted(profiles)
    for r in rows:
        assert r["message_id"] == campaign_message_id(campaign, run, r["profile_id"])
    sent = {r["profile_id"]: r["body"] for r in rows if r["status"] == "sent"}
    assert sent[profiles[1]] == f"Hi {profiles[1]} from Spring sale"
    handle = temporal_client.get_workflow_handle(body["workflow_id"], result_type=CampaignProgress)
    result = await handle.result()
    assert result.sent == 22 and result.remaining == 0 and result.status == "completed"
    queried = await handle.query(CAMPAIGN_PROGRESS_QUERY, result_type=CampaignProgress)
    assert queried.sent == 22
    described = await handle.describe()
    assert described.typed_search_attributes.get(CAMPAIGN_ID) == campaign
    assert described.typed_search_attributes.get(CAMPAIGN_SENT) == 22
    await assert_replays(temporal_client, body["workflow_id"], record_as="campaign-window")


async def test_campaign_validation_names_fields(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], pool: asyncpg.Pool
) -> None:
    template = await make_template(pool, channel="email")
    resp = await api_client.post(
        "/v1/campaigns",
        json={
            "id": uid("bad"),
            "name": "x",
            "audience_id": "nope",
            "channel": "log",
            "template": template,
            "delivery": {"local_time": "25:99", "ramp_up": [0]},
        },
        headers=admin_headers,
    )
    assert resp.status_code == 422, resp.text
    fields = {f["field"] for f in resp.json()["fields"]}
    assert fields == {"delivery.local_time", "delivery.ramp_up"}
    resp = await api_client.post(
        "/v1/campaigns",
        json={
            "id": uid("bad"),
            "name": "x",
            "audience_id": "nope",
            "channel": "log",
            "template": template,
        },
        headers=admin_headers,
    )
    assert resp.status_code == 422, resp.text
    fields = {f["field"] for f in resp.json()["fields"]}
    assert fields == {"template", "audience_id"}
