"""The bare Temporal baseline of the throughput benchmark: no Wayline code at all."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import activity, workflow

BARE_TASK_QUEUE = "wayline-bench-bare"
EMPTY_TASK_QUEUE = "wayline-bench-empty"  # the minimal worker's: default SDK settings
EMPTY_WORKFLOW = "EmptyWorkflow"
BARE_LOCAL_WORKFLOW = "BareLocalWorkflow"
BARE_ACTIVITY_WORKFLOW = "BareActivityWorkflow"
BARE_SIGNAL = "event"
ACTIVITIES_PER_RUN = 3  # as many as a journey runs: enter_journey, send_message, finish_journey
TIMEOUT = timedelta(seconds=30)


@activity.defn(name="bench_noop")
async def noop(step: int) -> int:
    return step


class _Bare:
    def __init__(self) -> None:
        self.inbox: list[dict[str, Any]] = []

    @workflow.signal(name=BARE_SIGNAL)
    def on_event(self, event: dict[str, Any]) -> None:
        self.inbox.append(event)


@workflow.defn(name=BARE_LOCAL_WORKFLOW)
class BareLocalWorkflow(_Bare):
    @workflow.run
    async def run(self, inp: dict[str, Any]) -> int:
        for step in range(ACTIVITIES_PER_RUN):
            await workflow.execute_local_activity(noop, step, start_to_close_timeout=TIMEOUT)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return len(self.inbox)


@workflow.defn(name=BARE_ACTIVITY_WORKFLOW)
class BareActivityWorkflow(_Bare):
    @workflow.run
    async def run(self, inp: dict[str, Any]) -> int:
        for step in range(ACTIVITIES_PER_RUN):
            await workflow.execute_activity(noop, step, start_to_close_timeout=TIMEOUT)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return len(self.inbox)


@workflow.defn(name=EMPTY_WORKFLOW)
class EmptyWorkflow(_Bare):
    """The physical limit: a signal-with-start and nothing else, on a worker with default
    settings; what a journey costs beyond it is Wayline's (issue 18's ratio_empty)."""

    @workflow.run
    async def run(self, inp: dict[str, Any]) -> int:
        await workflow.wait_condition(workflow.all_handlers_finished)
        return len(self.inbox)
