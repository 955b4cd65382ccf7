"""The batch window of CampaignWorkflow, with stand-in activities under the real names.

Batches are held until the test lets them finish, so the test sees how many run at once,
in which order they start, and what a pause in the middle of a window does.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest
from temporalio import activity
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

from core.campaign_contracts import (
    BatchInput,
    BatchResult,
    CampaignProgress,
    CampaignRunInput,
    CampaignSpec,
    FinishRunInput,
    RunControl,
    StartRunInput,
    StartRunResult,
    Wave,
)
from core.names import (
    CAMPAIGN_PAUSE_SIGNAL,
    CAMPAIGN_PROGRESS_QUERY,
    CAMPAIGN_RESUME_SIGNAL,
    CAMPAIGN_WORKFLOW,
)
from tests.integration.campaign_helpers import assert_replays
from tests.integration.helpers import eventually, uid
from workflows.campaign import CampaignWorkflow
from workflows.sandbox import workflow_runner

pytestmark = pytest.mark.integration

TOTAL, BATCH, PARALLEL = 40, 5, 2


@dataclass
class Held:
    """Stand-ins for the campaign activities; each batch waits for its release."""

    started: list[int] = field(default_factory=list)
    running: int = 0
    most: int = 0
    release: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(0))

    @activity.defn(name="start_campaign_run")
    async def start_run(self, inp: StartRunInput) -> StartRunResult:
        return StartRunResult(total=TOTAL, waves=[Wave(first_seq=0, end_seq=TOTAL)])

    @activity.defn(name="send_campaign_batch")
    async def send_batch(self, inp: BatchInput) -> BatchResult:
        self.started.append(inp.first_seq)
        self.running += 1
        self.most = max(self.most, self.running)
        try:
            await self.release.acquire()
        finally:
            self.running -= 1
        n = inp.end_seq - inp.first_seq
        return BatchResult(processed=n, sent=n)

    @activity.defn(name="finish_campaign_run")
    async def finish_run(self, inp: FinishRunInput) -> None:
        return None


@pytest.fixture
async def held(temporal_client: Client) -> AsyncIterator[tuple[Held, str]]:
    stand_in, queue = Held(), uid("window")
    async with Worker(
        temporal_client,
        task_queue=queue,
        workflows=[CampaignWorkflow],
        activities=[stand_in.start_run, stand_in.send_batch, stand_in.finish_run],
        workflow_runner=workflow_runner(),
    ):
        yield stand_in, queue


def until(check: Callable[[], bool]) -> Callable[[], Awaitable[bool]]:
    """A synchronous condition on the stand-ins, for `eventually`."""

    async def checked() -> bool:
        return check()

    return checked


async def progress(handle: WorkflowHandle[CampaignWorkflow, CampaignProgress]) -> CampaignProgress:
    return await handle.query(CAMPAIGN_PROGRESS_QUERY, result_type=CampaignProgress)


async def is_paused(handle: WorkflowHandle[CampaignWorkflow, CampaignProgress]) -> bool:
    return (await progress(handle)).status == "paused"


async def test_window_keeps_parallel_batches_in_order_and_pauses_between_them(
    temporal_client: Client, held: tuple[Held, str]
) -> None:
    stand_in, queue = held
    spec = CampaignSpec(
        campaign_id=uid("cmp"), name="window", audience_id="a", channel="log", template="t"
    )
    run = CampaignRunInput(spec=spec, run_id="r1", batch_size=BATCH, parallel=PARALLEL)
    handle: WorkflowHandle[
        CampaignWorkflow, CampaignProgress
    ] = await temporal_client.start_workflow(
        CAMPAIGN_WORKFLOW,
        run,
        id=uid("campaign-window"),
        task_queue=queue,
        result_type=CampaignProgress,
    )
    await eventually(until(lambda: len(stand_in.started) == PARALLEL))
    stand_in.release.release()  # one batch ends: the next starts without waiting for its pair
    await eventually(until(lambda: len(stand_in.started) == PARALLEL + 1))
    assert (await progress(handle)).remaining == TOTAL - BATCH
    await handle.signal(CAMPAIGN_PAUSE_SIGNAL, RunControl())
    await eventually(lambda: is_paused(handle))
    assert stand_in.running == PARALLEL
    for _ in range(PARALLEL):
        stand_in.release.release()
    await eventually(until(lambda: stand_in.running == 0))
    await asyncio.sleep(0.5)
    assert len(stand_in.started) == PARALLEL + 1, "paused: the window starts no more batches"
    paused = await progress(handle)
    assert paused.status == "paused" and paused.sent == (PARALLEL + 1) * BATCH
    assert paused.remaining == TOTAL - (PARALLEL + 1) * BATCH
    await handle.signal(CAMPAIGN_RESUME_SIGNAL, RunControl())
    for _ in range(TOTAL // BATCH - PARALLEL - 1):
        stand_in.release.release()
    result = await asyncio.wait_for(handle.result(), 30)
    assert result.status == "completed" and result.sent == TOTAL and result.remaining == 0
    assert stand_in.started == list(range(0, TOTAL, BATCH)), "each batch once, in order"
    assert stand_in.most == PARALLEL
    await assert_replays(temporal_client, handle.id)
