"""The Temporal side of destinations: a stream's long-running workflow, the Schedule of a
file or advertising destination, and an export started now (architecture: destinations)."""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
)
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError, RPCStatusCode

from core.destination_contracts import DestinationRoute, RunInput, StreamInput
from core.names import (
    DESTINATION_RUN_WORKFLOW,
    DESTINATION_STREAM_WORKFLOW,
    destination_run_workflow_id,
    destination_schedule_id,
    destination_stream_workflow_id,
)
from services.schedules import delete_schedule, upsert_schedule


async def start_stream(client: Client, name: str, task_queue: str, route: DestinationRoute) -> None:
    """(Re)start the stream with the saved spec's route: the cursor is in Postgres, so a
    restarted stream goes on where the last delivered batch ended, and an open batch is
    sent again under its key."""
    await client.start_workflow(
        DESTINATION_STREAM_WORKFLOW,
        StreamInput(destination=name, route=route),
        id=destination_stream_workflow_id(name),
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.TERMINATE_EXISTING,
    )


async def stop_stream(client: Client, name: str) -> None:
    try:
        await client.get_workflow_handle(destination_stream_workflow_id(name)).terminate(
            reason="destination deleted or no longer a stream"
        )
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise


async def ensure_schedule(client: Client, name: str, task_queue: str, every: timedelta) -> None:
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(
            DESTINATION_RUN_WORKFLOW,
            RunInput(destination=name),
            id=destination_run_workflow_id(name, "scheduled"),
            task_queue=task_queue,
        ),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=every)]),
        # An export still running when the next is due: the next would repeat it.
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )
    await upsert_schedule(client, destination_schedule_id(name), schedule)


async def remove_schedule(client: Client, name: str) -> None:
    await delete_schedule(client, destination_schedule_id(name))


async def start_run(client: Client, name: str, run_id: str, task_queue: str) -> None:
    """An export now; its workflow id is the run's id in the ledger."""
    await client.start_workflow(
        DESTINATION_RUN_WORKFLOW,
        RunInput(destination=name, run_id=run_id),
        id=run_id,
        task_queue=task_queue,
    )
