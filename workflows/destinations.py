"""The destination workflows: a stream's endless loop of batches, and one export run.

Both only schedule activities on the destination's own task queue (decision 5) with its
retries; the cursor, the batches and the runs are in Postgres, so a workflow restarted
(a saved spec, a new worker) goes on where the ledger says, never from its own memory.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from core.destination_contracts import (
        BatchInput,
        BatchResult,
        DestinationRoute,
        RunInput,
        RunResult,
        StreamInput,
        StreamResult,
    )
    from core.names import DESTINATION_RUN_WORKFLOW, DESTINATION_STREAM_WORKFLOW

BATCHES_PER_RUN = 500  # then continue-as-new: a stream's history stays short
HEARTBEAT = timedelta(seconds=30)
LEDGER_TIMEOUT = timedelta(seconds=30)
FILE_TIMEOUT = timedelta(hours=6)


def retry(route: DestinationRoute) -> RetryPolicy:
    return RetryPolicy(
        initial_interval=timedelta(seconds=route.initial_interval_seconds),
        backoff_coefficient=route.backoff,
        maximum_interval=timedelta(seconds=route.max_interval_seconds),
        maximum_attempts=route.max_attempts,
        non_retryable_error_types=["DestinationBlocked"],
    )


@workflow.defn(name=DESTINATION_STREAM_WORKFLOW)
class DestinationStreamWorkflow:
    """At least once: a batch whose retries run out stays open in the ledger; the stream
    waits the longest retry interval and sends it again, under the same key."""

    @workflow.run
    async def run(self, inp: StreamInput) -> None:
        route = inp.route
        timeout = timedelta(seconds=route.timeout_seconds + inp.idle_seconds + 30)
        for _ in range(BATCHES_PER_RUN):
            try:
                result = await workflow.execute_activity(
                    "stream_destination_batch",
                    inp,
                    task_queue=route.task_queue,
                    start_to_close_timeout=timeout,
                    heartbeat_timeout=HEARTBEAT,
                    retry_policy=retry(route),
                    result_type=StreamResult,
                )
            except ActivityError:
                await workflow.sleep(timedelta(seconds=route.max_interval_seconds))
                continue
            if result.outcome == "gone":
                return
        workflow.continue_as_new(inp)


@workflow.defn(name=DESTINATION_RUN_WORKFLOW)
class DestinationRunWorkflow:
    """A file (one activity) or an advertising upload (one activity per batch, each its own
    request under the queue's rate limit); the ledger row is opened first, closed last."""

    @workflow.run
    async def run(self, inp: RunInput) -> RunResult:
        planned: RunInput = await workflow.execute_activity(
            "begin_destination_run",
            inp,
            start_to_close_timeout=LEDGER_TIMEOUT,
            result_type=RunInput,
        )
        try:
            result = await self._export(planned)
        except ActivityError as exc:
            cause = exc.cause if exc.cause is not None else exc
            result = RunResult(status="failed", error=str(cause))
        return await workflow.execute_activity(
            "finish_destination_run",
            args=[planned, result],
            start_to_close_timeout=LEDGER_TIMEOUT,
            result_type=RunResult,
        )

    async def _export(self, inp: RunInput) -> RunResult:
        route = inp.route
        assert route is not None
        if inp.kind == "file":
            return await workflow.execute_activity(
                "export_destination_file",
                inp,
                task_queue=route.task_queue,
                start_to_close_timeout=FILE_TIMEOUT,
                heartbeat_timeout=HEARTBEAT,
                retry_policy=retry(route),
                result_type=RunResult,
            )
        return await self._ad_batches(inp, route)

    async def _ad_batches(self, inp: RunInput, route: DestinationRoute) -> RunResult:
        after, seq = "", 0
        while True:
            batch = await workflow.execute_activity(
                "send_destination_ad_batch",
                BatchInput(destination=inp.destination, run_id=inp.run_id, seq=seq, after=after),
                task_queue=route.task_queue,
                start_to_close_timeout=timedelta(seconds=route.timeout_seconds + 30),
                heartbeat_timeout=HEARTBEAT,
                retry_policy=retry(route),
                result_type=BatchResult,
            )
            if batch.done:
                return RunResult(status="succeeded")
            after, seq = batch.after, seq + 1
