"""Pause, resume and cancel of a campaign run over the API; throttle and continue-as-new."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import asyncpg
import httpx
import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from core.campaign_contracts import CampaignProgress, CampaignRunInput
from core.settings import Settings
from services.campaign_client import new_run_id, spec_of, start_run
from tests.integration.campaign_helpers import (
    assert_replays,
    ledger_count,
    make_audience,
    make_campaign,
    make_template,
    uid,
    until_ledger,
    wait_run,
)
from workers.worker import Runtime

pytestmark = pytest.mark.integration


async def settled(pool: asyncpg.Pool, campaign: str) -> int:
    """The ledger count once the batches in flight have finished (it stops moving)."""
    last = -1
    while True:
        now = await ledger_count(pool, campaign)
        if now == last:
            return now
        last = now
        await asyncio.sleep(1.0)


async def throttled(pool: asyncpg.Pool, n: int, rate: float) -> tuple[str, list[str]]:
    profiles = [uid("p") for _ in range(n)]
    audience = await make_audience(pool, profiles)
    template = await make_template(pool)
    campaign = await make_campaign(pool, audience, template, delivery={"max_per_second": rate})
    return campaign, profiles


async def test_pause_resume_then_all_sent(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    pool: asyncpg.Pool,
    runtime: Runtime,
) -> None:
    campaign, profiles = await throttled(pool, 120, 20)
    resp = await api_client.post(f"/v1/campaigns/{campaign}/runs", headers=admin_headers)
    assert resp.status_code == 201, resp.text
    run = resp.json()["run_id"]
    await until_ledger(pool, campaign, 1)
    base = f"/v1/campaigns/{campaign}/runs/{run}"
    resp = await api_client.post(f"{base}/pause", headers=admin_headers)
    assert resp.status_code == 202, resp.text
    assert resp.json()["status"] == "paused"
    paused_at = await settled(pool, campaign)
    assert 0 < paused_at < len(profiles)
    await asyncio.sleep(1.5)  # paused: nothing more goes out
    assert await ledger_count(pool, campaign) == paused_at
    body = (await api_client.get(base, headers=admin_headers)).json()
    assert body["status"] == "paused" and body["sent"] == paused_at
    assert body["remaining"] == len(profiles) - paused_at
    resp = await api_client.post(f"{base}/resume", headers=admin_headers)
    assert resp.status_code == 202, resp.text
    body = await wait_run(api_client, admin_headers, campaign, run)
    assert body["status"] == "completed" and body["sent"] == len(profiles)
    resp = await api_client.post(f"{base}/pause", headers=admin_headers)
    assert resp.status_code == 409, resp.text


async def test_cancel_sends_nothing_more_and_reports_count(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    pool: asyncpg.Pool,
    runtime: Runtime,
    temporal_client: Client,
) -> None:
    campaign, profiles = await throttled(pool, 200, 20)
    resp = await api_client.post(f"/v1/campaigns/{campaign}/runs", headers=admin_headers)
    run = resp.json()
    await until_ledger(pool, campaign, 1)
    base = f"/v1/campaigns/{campaign}/runs/{run['run_id']}"
    resp = await api_client.post(f"{base}/cancel", headers=admin_headers)
    assert resp.status_code == 202, resp.text
    handle = temporal_client.get_workflow_handle(run["workflow_id"], result_type=CampaignProgress)
    async with asyncio.timeout(60):
        result = await handle.result()
    assert result.status == "cancelled"
    went_out = await ledger_count(pool, campaign)
    assert result.sent == went_out and 0 < went_out < len(profiles)
    assert result.remaining == len(profiles) - went_out
    await asyncio.sleep(1.0)
    assert await ledger_count(pool, campaign) == went_out
    body = (await api_client.get(base, headers=admin_headers)).json()
    assert body["status"] == "cancelled" and body["sent"] == went_out
    assert body["finished_at"] is not None


async def test_throttle_paces_sends(pool: asyncpg.Pool, runtime: Runtime) -> None:
    """At most a second's worth of messages per paced step: any 1 s window of the ledger
    holds at most two steps, and the run cannot be faster than the rate allows."""
    rate, n = 25, 100
    campaign, _ = await throttled(pool, n, rate)
    row = await pool.fetchrow("SELECT * FROM campaigns WHERE campaign_id = $1", campaign)
    handle = await start_run(
        runtime.client,
        "wayline",
        CampaignRunInput(spec=spec_of(row), run_id=new_run_id()),
    )
    async with asyncio.timeout(60):
        result = CampaignProgress.model_validate(await handle.result())
    assert result.sent == n
    stamps = [
        r["created_at"]
        for r in await pool.fetch(
            "SELECT created_at FROM messages WHERE campaign_id = $1 ORDER BY created_at", campaign
        )
    ]
    assert stamps[-1] - stamps[0] >= timedelta(seconds=(n - rate) / rate)
    for i, start in enumerate(stamps):
        inside = sum(1 for t in stamps[i:] if t < start + timedelta(seconds=1))
        assert inside <= 2 * rate, (i, inside)
    # Paced by timers in the workflow: one after each step but the last, each a second.
    timers = [
        e.timer_started_event_attributes.start_to_fire_timeout.ToTimedelta()
        async for e in handle.fetch_history_events()
        if e.event_type == EventType.EVENT_TYPE_TIMER_STARTED
    ]
    assert len(timers) == n // rate - 1
    assert all(timedelta(0) < t <= timedelta(seconds=1) for t in timers)


async def test_long_run_continues_as_new(
    pool: asyncpg.Pool, runtime: Runtime, settings: Settings
) -> None:
    profiles = [uid("p") for _ in range(300)]
    audience = await make_audience(pool, profiles)
    template = await make_template(pool)
    campaign = await make_campaign(pool, audience, template)
    row = await pool.fetchrow("SELECT * FROM campaigns WHERE campaign_id = $1", campaign)
    run_id = new_run_id()
    handle = await start_run(
        runtime.client,
        settings.task_queue,
        CampaignRunInput(
            spec=spec_of(row), run_id=run_id, batch_size=10, parallel=2, history_limit=40
        ),
    )
    async with asyncio.timeout(60):
        result = CampaignProgress.model_validate(await handle.result())
    assert result.sent == 300 and result.total == 300 and result.remaining == 0
    first = runtime.client.get_workflow_handle(handle.id, run_id=handle.result_run_id)
    events = [e.event_type async for e in first.fetch_history_events()]
    assert events[-1] == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
    await assert_replays(runtime.client, handle.id, handle.result_run_id)
    await assert_replays(runtime.client, handle.id)  # the last run, carried state and all
    rows = await pool.fetch(
        "SELECT DISTINCT campaign_run FROM messages WHERE campaign_id = $1", campaign
    )
    assert [r["campaign_run"] for r in rows] == [run_id]
    assert await ledger_count(pool, campaign) == 300
