"""AudienceFanoutWorkflow: one run of a read-audience journey enters every member.

Started by the journey's Temporal Schedule (`audience-journey:{journey}`) at each cron
time, or once at publish for `schedule: once`. It snapshots the members, then enters them
one page at a time in a batch activity (architecture decision 9: no child workflow or
activity per member), and continues as new before its history grows long. Pages are
keyset-paginated over the snapshot, so the run resumes after the last page it finished.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from core.contracts import (
        AudienceFanoutInput,
        AudienceFanoutResult,
        FanoutBatchInput,
        FanoutBatchResult,
        FanoutCarry,
        FanoutFinishInput,
        FanoutPrepareInput,
        FanoutPrepareResult,
    )
    from core.names import AUDIENCE_FANOUT_WORKFLOW

HISTORY_LIMIT = 2_000  # about 300 pages: six events each (workflow task and activity)
RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30))


@workflow.defn(name=AUDIENCE_FANOUT_WORKFLOW)
class AudienceFanoutWorkflow:
    @workflow.run
    async def run(self, inp: AudienceFanoutInput) -> AudienceFanoutResult:
        carry = inp.carry
        if carry is None:
            run_key = inp.run_key or workflow.info().workflow_id
            prepared = await workflow.execute_activity(
                "audience_fanout_prepare",
                FanoutPrepareInput(journey_id=inp.journey_id, run_key=run_key),
                result_type=FanoutPrepareResult,
                start_to_close_timeout=timedelta(minutes=10),
                retry_policy=RETRY,
            )
            if not prepared.live or prepared.started_at is None:
                return AudienceFanoutResult(
                    run_key=run_key, status="not run", reason=prepared.reason
                )
            carry = FanoutCarry(
                run_key=run_key,
                audience_id=prepared.audience_id,
                started_at=prepared.started_at,
                members=prepared.members,
            )
        while True:
            batch = await workflow.execute_activity(
                "audience_fanout_batch",
                FanoutBatchInput(
                    journey_id=inp.journey_id,
                    run_key=carry.run_key,
                    audience_id=carry.audience_id,
                    started_at=carry.started_at,
                    after=carry.cursor,
                    limit=inp.page_size,
                ),
                result_type=FanoutBatchResult,
                start_to_close_timeout=timedelta(hours=1),
                heartbeat_timeout=timedelta(seconds=inp.heartbeat_seconds),
                retry_policy=RETRY,
            )
            carry.cursor = batch.cursor or carry.cursor
            carry.signalled += batch.signalled
            carry.filtered += batch.filtered
            carry.batches += 1
            if batch.stopped or batch.done:
                break
            if self._should_continue_as_new(inp):
                workflow.continue_as_new(inp.model_copy(update={"carry": carry}))
        status: Literal["completed", "stopped"] = "stopped" if batch.stopped else "completed"
        await workflow.execute_activity(
            "audience_fanout_finish",
            FanoutFinishInput(
                run_key=carry.run_key,
                status=status,
                signalled=carry.signalled,
                filtered=carry.filtered,
            ),
            start_to_close_timeout=timedelta(minutes=5),
            retry_policy=RETRY,
        )
        return AudienceFanoutResult(
            run_key=carry.run_key,
            status=status,
            reason=batch.reason,
            members=carry.members,
            signalled=carry.signalled,
            filtered=carry.filtered,
        )

    def _should_continue_as_new(self, inp: AudienceFanoutInput) -> bool:
        info = workflow.info()
        limit = inp.history_limit or HISTORY_LIMIT
        return info.is_continue_as_new_suggested() or info.get_current_history_length() > limit
