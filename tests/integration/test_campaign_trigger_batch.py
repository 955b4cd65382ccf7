"""Triggered requests grouped into one signal, and a window's inbox that ends when idle."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import asyncpg
import pytest
from temporalio.client import Client

from core.campaign_contracts import TriggerBatch, TriggerInboxInput, TriggerRequest
from core.names import CAMPAIGN_TRIGGER_BATCH_SIGNAL, CAMPAIGN_TRIGGER_WORKFLOW
from core.settings import Settings
from db.sql import q
from services.campaign_client import new_run_id, spec_of, trigger_workflow_id
from services.trigger_sender import TriggerSender
from tests.integration.campaign_helpers import (
    assert_replays,
    ledger,
    make_audience,
    make_campaign,
    make_template,
    uid,
)
from workers.worker import Runtime

pytestmark = pytest.mark.integration


async def _triggered_campaign(pool: asyncpg.Pool, profiles: list[str]) -> str:
    await make_audience(pool, profiles)  # creates the profiles
    template = await make_template(pool, body="Code {{ vars.code }} for {{ profile.profile_id }}")
    return await make_campaign(pool, None, template, kind="triggered")


async def _until(check: str, pool: asyncpg.Pool, *args: object, within: float = 30) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not await pool.fetchval(check, *args):
        assert asyncio.get_running_loop().time() < deadline, check
        await asyncio.sleep(0.1)


def _batch_sizes(events: list[object]) -> list[int]:
    sizes = []
    for event in events:
        attrs = event.workflow_execution_signaled_event_attributes  # type: ignore[attr-defined]
        if attrs.signal_name == CAMPAIGN_TRIGGER_BATCH_SIGNAL:
            sizes.append(len(json.loads(attrs.input.payloads[0].data)["requests"]))
    return sizes


async def test_requests_grouped_in_one_signal_are_each_sent_once(
    pool: asyncpg.Pool, runtime: Runtime, temporal_client: Client, settings: Settings
) -> None:
    profiles = [uid("p") for _ in range(3)]
    campaign = await _triggered_campaign(pool, profiles)
    spec = spec_of(await pool.fetchrow(q("get_campaign"), campaign))
    moment = datetime.now(UTC)
    runs = [new_run_id(moment) for _ in range(6)]
    inbox = trigger_workflow_id(campaign, runs[0])
    assert {trigger_workflow_id(campaign, r) for r in runs} == {inbox}  # one time window
    for run in runs:
        await pool.execute(q("insert_campaign_run"), campaign, run, inbox, "starting")
    requests = [
        TriggerRequest(
            spec=spec,
            run_id=run,
            profile_ids=[profiles[i % 3], profiles[(i + 1) % 3]],
            vars={"code": f"c{i}"},
        )
        for i, run in enumerate(runs)
    ]
    sender = TriggerSender(temporal_client)
    # Sent together: one signal carries all six (each call still waits for it).
    await asyncio.gather(*(sender.send(settings.task_queue, r) for r in requests))
    await _until(
        "SELECT bool_and(status = 'completed' AND total = 2) FROM campaign_runs "
        "WHERE campaign_id = $1",
        pool,
        campaign,
    )
    # A client retrying three of them: the same runs again, nothing sent twice.
    await asyncio.gather(*(sender.send(settings.task_queue, r) for r in requests[:3]))
    await _until(
        "SELECT count(*) = 6 FROM messages WHERE campaign_id = $1 AND attempts = 2",
        pool,
        campaign,
    )
    rows = await ledger(pool, campaign)
    assert len(rows) == 12 and {r["status"] for r in rows} == {"sent"}
    assert sorted((r["campaign_run"], r["profile_id"]) for r in rows) == sorted(
        (req.run_id, p) for req in requests for p in req.profile_ids
    )
    code = {req.run_id: req.vars["code"] for req in requests}
    assert all(r["body"] == f"Code {code[r['campaign_run']]} for {r['profile_id']}" for r in rows)
    history = await temporal_client.get_workflow_handle(inbox).fetch_history()
    assert _batch_sizes(list(history.events)) == [6, 3]
    await assert_replays(temporal_client, inbox)


async def test_a_window_inbox_ends_once_idle(
    pool: asyncpg.Pool, runtime: Runtime, temporal_client: Client, settings: Settings
) -> None:
    profile = uid("p")
    campaign = await _triggered_campaign(pool, [profile])
    spec = spec_of(await pool.fetchrow(q("get_campaign"), campaign))
    run = new_run_id()
    inbox = trigger_workflow_id(campaign, run)
    await pool.execute(q("insert_campaign_run"), campaign, run, inbox, "starting")
    request = TriggerRequest(spec=spec, run_id=run, profile_ids=[profile], vars={"code": "x"})
    handle = await temporal_client.start_workflow(
        CAMPAIGN_TRIGGER_WORKFLOW,
        TriggerInboxInput(campaign_id=campaign, lifetime_seconds=1),
        id=inbox,
        task_queue=settings.task_queue,
        start_signal=CAMPAIGN_TRIGGER_BATCH_SIGNAL,
        start_signal_args=[TriggerBatch(requests=[request])],
    )
    await asyncio.wait_for(handle.result(), timeout=30)  # ended by itself
    rows = await ledger(pool, campaign)
    assert [(r["profile_id"], r["status"], r["body"]) for r in rows] == [
        (profile, "sent", f"Code x for {profile}")
    ]
    await assert_replays(temporal_client, inbox)
