"""CampaignWorkflow: one per campaign run, a deterministic driver of batch sends.

It snapshots the audience (one activity), then walks the snapshot in waves (one per
local send time) and, inside a wave, in groups of batch activities of hundreds of
profiles each. Between groups it honours pause and cancel, the ramp-up allowance and the
throttle (a timer paces each group to the maximum rate), and continues as new before
its history grows large. Counts come from the batches' results, which read the ledger, so
a retried batch is counted once with the outcome of its first attempt.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Coroutine, Iterable
from datetime import datetime, timedelta
from typing import Any, Literal

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError
from temporalio.workflow import ActivityCancellationType

with workflow.unsafe.imports_passed_through():
    from campaigns.plan import (
        next_ramp_day,
        ramp_allowance,
        split_batches,
        throttle_delay,
        throttle_group,
    )
    from core.campaign_contracts import (
        CAMPAIGN_ID,
        CAMPAIGN_SENT,
        BatchInput,
        BatchResult,
        CampaignCarry,
        CampaignProgress,
        CampaignRunInput,
        FinishRunInput,
        RunControl,
        StartRunInput,
        StartRunResult,
    )
    from core.names import (
        CAMPAIGN_CANCEL_SIGNAL,
        CAMPAIGN_PAUSE_SIGNAL,
        CAMPAIGN_PROGRESS_QUERY,
        CAMPAIGN_RESUME_SIGNAL,
        CAMPAIGN_WORKFLOW,
        LOCAL_CHANNELS,
        campaign_run_from_workflow_id,
        channel_task_queue,
    )
    from core.retries import SEND_RETRY
    from journeys.durations import add_duration

WINDOW_PATCH = "campaign-window"
CANCEL_PATCH = "campaign-cancel-batches"
# A windowed group holds this many windows' worth of batches: pause, cancel, ramp-up and
# continue-as-new are looked at between groups.
WINDOW_GROUP = 8
QUICK_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30)
)


@workflow.defn(name=CAMPAIGN_WORKFLOW)
class CampaignWorkflow:
    def __init__(self) -> None:
        self._progress = CampaignProgress(status="starting")
        self._paused = False
        self._cancelled = False

    @workflow.signal(name=CAMPAIGN_PAUSE_SIGNAL)
    def pause(self, signal: RunControl) -> None:
        self._paused = True

    @workflow.signal(name=CAMPAIGN_RESUME_SIGNAL)
    def resume(self, signal: RunControl) -> None:
        self._paused = False

    @workflow.signal(name=CAMPAIGN_CANCEL_SIGNAL)
    def cancel(self, signal: RunControl) -> None:
        self._cancelled = True

    @workflow.query(name=CAMPAIGN_PROGRESS_QUERY)
    def progress(self) -> CampaignProgress:
        status = self._progress.status
        if status == "running" and self._paused:
            status = "paused"
        return self._progress.model_copy(update={"status": status})

    @workflow.run
    async def run(self, inp: CampaignRunInput) -> CampaignProgress:
        carry = inp.carry or await self._start(inp)
        self._progress = carry.progress
        self._paused = self._paused or carry.paused
        while not self._cancelled:
            if carry.wave >= len(carry.waves):
                if carry.phase == "follow_up" or inp.spec.follow_up is None:
                    break
                # Orchestrated: the follow-up pass, `wait` after the first pass ended.
                carry.phase = "follow_up"
                carry.follow_up_at = add_duration(workflow.now(), inp.spec.follow_up.wait)
                carry.wave, carry.next_seq = 0, 0
                continue
            if carry.follow_up_at is not None and workflow.now() < carry.follow_up_at:
                await self._sleep_until(carry.follow_up_at)
                continue
            wave = carry.waves[carry.wave]
            carry.next_seq = max(carry.next_seq, wave.first_seq)
            if carry.next_seq >= wave.end_seq:
                carry.wave += 1
                continue
            if wave.due_at is not None and workflow.now() < wave.due_at:
                await self._sleep_until(wave.due_at)
                continue
            if self._paused:
                await workflow.wait_condition(lambda: not self._paused or self._cancelled)
                continue
            size = self._group_size(inp, carry, wave.end_seq)
            if size == 0:  # the ramp-up allowance of today is spent
                await self._sleep_until(next_ramp_day(carry.started_at, workflow.now()))
                continue
            started = workflow.now()
            await self._send_group(inp, carry, carry.next_seq, carry.next_seq + size)
            delay = throttle_delay(size, inp.spec.max_per_second)
            if delay and carry.next_seq < self._progress.total:
                await self._sleep_until(started + delay)
            if self._should_continue_as_new(inp):
                await workflow.wait_condition(workflow.all_handlers_finished)
                carry.paused = self._paused
                workflow.continue_as_new(inp.model_copy(update={"carry": carry}))
        status: Literal["cancelled", "completed"] = "cancelled" if self._cancelled else "completed"
        self._progress.status = status
        await workflow.execute_activity(
            "finish_campaign_run",
            FinishRunInput(
                campaign_id=inp.spec.campaign_id,
                run_id=carry.run_id,
                status=status,
                total=self._progress.total,
                finished_at=workflow.now(),
            ),
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=QUICK_RETRY,
        )
        self._mark_sent()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._progress

    async def _start(self, inp: CampaignRunInput) -> CampaignCarry:
        info = workflow.info()
        run_id = inp.run_id or campaign_run_from_workflow_id(inp.spec.campaign_id, info.workflow_id)
        if not info.typed_search_attributes.get(CAMPAIGN_ID):  # a Schedule's start
            workflow.upsert_search_attributes([CAMPAIGN_ID.value_set(inp.spec.campaign_id)])
        self._progress = CampaignProgress(status="running")
        started = await workflow.execute_activity(
            "start_campaign_run",
            StartRunInput(
                spec=inp.spec,
                run_id=run_id,
                workflow_id=info.workflow_id,
                profile_ids=inp.profile_ids,
                now=workflow.now(),
            ),
            result_type=StartRunResult,
            start_to_close_timeout=timedelta(minutes=10),
            retry_policy=QUICK_RETRY,
        )
        return CampaignCarry(
            run_id=run_id,
            started_at=workflow.now(),
            waves=started.waves,
            progress=CampaignProgress(
                status="running", total=started.total, remaining=started.total
            ),
        )

    def _windowed(self) -> bool:
        """Batches flow through a window of `parallel` instead of waiting group by group.

        Runs started before this change keep their groups (their histories say so); the SDK
        remembers the answer for the run, so asking again costs nothing."""
        return workflow.patched(WINDOW_PATCH)

    def _group_size(self, inp: CampaignRunInput, carry: CampaignCarry, wave_end: int) -> int:
        """Profiles in the next group: the wave's rest, within throttle and ramp-up."""
        batches = inp.parallel * (WINDOW_GROUP if self._windowed() else 1)
        size = min(wave_end - carry.next_seq, inp.batch_size * batches)
        size = min(size, throttle_group(inp.spec.max_per_second, size))
        allowed = ramp_allowance(inp.spec.ramp_up, carry.started_at, workflow.now())
        if allowed is not None:
            attempted = self._progress.sent + self._progress.failed
            size = min(size, max(0, allowed - attempted))
        return size

    async def _send_group(
        self, inp: CampaignRunInput, carry: CampaignCarry, first: int, end: int
    ) -> None:
        batches = [
            self._batch_input(inp, carry, lo, hi)
            for lo, hi in split_batches(first, end, inp.batch_size)
        ]
        if self._windowed():
            end = await self._send_window(inp, batches)
        else:
            self._count(await asyncio.gather(*(self._send_batch(inp, b) for b in batches)))
        if carry.phase == "main":
            carry.processed = end  # the snapshot's seq are 0 … total-1, sent in order
            self._progress.remaining = max(0, self._progress.total - carry.processed)
        carry.next_seq = end
        carry.progress = self._progress
        self._mark_sent()

    async def _send_window(self, inp: CampaignRunInput, batches: list[BatchInput]) -> int:
        """The batches in order, `parallel` at a time, each started as soon as one ends: a
        group no longer waits for its slowest batch while the provider's connections idle.

        A pause or cancel stops the starting; the batches started finish. Returns where the
        started ones end (they are a prefix: the semaphore wakes waiters in order)."""
        slots = asyncio.Semaphore(inp.parallel)
        reached = batches[0].first_seq
        stopped = False

        async def one(batch: BatchInput) -> None:
            nonlocal reached, stopped
            async with slots:
                stopped = stopped or self._paused or self._cancelled
                if stopped:
                    return
                reached = batch.end_seq
                self._count([await self._send_batch(inp, batch)])
                if batch.phase == "main":  # the progress query moves batch by batch
                    done = batch.end_seq - batch.first_seq
                    self._progress.remaining = max(0, self._progress.remaining - done)

        sending = asyncio.create_task(_all(one(b) for b in batches))
        if workflow.patched(CANCEL_PATCH):
            # A cancel cuts the batches in flight short, even those Temporal is retrying
            # against a provider that is down: the run ends now, not after the retries.
            await workflow.wait_condition(lambda: sending.done() or self._cancelled)
            if not sending.done():
                sending.cancel()
                with contextlib.suppress(asyncio.CancelledError, ActivityError):
                    await sending
                return reached
        await sending
        return reached

    def _batch_input(
        self, inp: CampaignRunInput, carry: CampaignCarry, lo: int, hi: int
    ) -> BatchInput:
        return BatchInput(
            spec=inp.spec,
            run_id=carry.run_id,
            workflow_id=workflow.info().workflow_id,
            first_seq=lo,
            end_seq=hi,
            vars=inp.vars,
            now=workflow.now(),
            phase=carry.phase,
        )

    async def _send_batch(self, inp: CampaignRunInput, batch: BatchInput) -> BatchResult:
        return await workflow.execute_activity(
            "send_campaign_batch",
            batch,
            result_type=BatchResult,
            task_queue=self._batch_queue(inp),
            start_to_close_timeout=timedelta(minutes=10),
            heartbeat_timeout=timedelta(seconds=10),
            retry_policy=(inp.send_retry or SEND_RETRY).policy(),
            # A cancelled batch is over once the worker says so (at once while Temporal waits
            # to retry it): no send of a cancelled run goes out after the run ended.
            cancellation_type=ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
        )

    def _count(self, results: list[BatchResult]) -> None:
        skipped = Counter(self._progress.skipped)
        branches = Counter(self._progress.branches)
        for result in results:
            self._progress.sent += result.sent
            self._progress.failed += result.failed
            skipped.update(result.skipped)
            branches.update(result.branches)
        self._progress.skipped = dict(skipped)
        self._progress.branches = dict(branches)

    def _batch_queue(self, inp: CampaignRunInput) -> str:
        """A provider's batches run on its own queue, as its journey sends do (decision 5)."""
        base = workflow.info().task_queue
        if inp.batch_queue:
            return inp.batch_queue
        if inp.spec.channel in LOCAL_CHANNELS:
            return base
        return channel_task_queue(base, inp.spec.channel)

    def _mark_sent(self) -> None:
        workflow.upsert_search_attributes([CAMPAIGN_SENT.value_set(self._progress.sent)])

    async def _sleep_until(self, when: datetime) -> None:
        """A durable timer that a cancel cuts short."""
        seconds = (when - workflow.now()).total_seconds()
        if seconds > 0:
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(lambda: self._cancelled, timeout=seconds)

    def _should_continue_as_new(self, inp: CampaignRunInput) -> bool:
        info = workflow.info()
        return (
            info.is_continue_as_new_suggested()
            or info.get_current_history_length() > inp.history_limit
        )


async def _all(sends: Iterable[Coroutine[Any, Any, None]]) -> None:
    """The batches of a window as one task, so that a cancel can cut them short together."""
    await asyncio.gather(*sends)
