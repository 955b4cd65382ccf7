"""The Temporal Schedule of a read-audience journey, kept in step with publish and stop.

architecture decision 6: recurring runs are Temporal Schedules, no cron daemon of our own.
Publishing a version whose entry is `audience: {id, schedule: <cron>}` creates or updates
the schedule `audience-journey:{journey}`; `schedule: once` starts one run at once
(`audience-fanout:{journey}:v{version}-once`, so publishing that version again starts no
other); any other entry, and stopping the journey, deletes the schedule. Every call is
idempotent, so a publish that failed half-way is repaired by publishing again.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleState,
)
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from core.contracts import AudienceFanoutInput
from core.names import (
    AUDIENCE_FANOUT_WORKFLOW,
    audience_fanout_workflow_id,
    audience_journey_schedule_id,
    audience_once_workflow_id,
)
from journeys.model import ONCE, JourneyDefinition
from services.schedules import delete_schedule, upsert_schedule

CATCHUP_WINDOW = timedelta(hours=1)


def audience_schedule(
    journey_id: str, version: int, definition: JourneyDefinition, task_queue: str
) -> Schedule | None:
    """The schedule of a cron read-audience entry; None for any other entry."""
    audience = definition.entry.audience
    if audience is None or audience.schedule is None or audience.schedule == ONCE:
        return None
    timezone = audience.timezone or "UTC"
    return Schedule(
        action=ScheduleActionStartWorkflow(
            AUDIENCE_FANOUT_WORKFLOW,
            AudienceFanoutInput(journey_id=journey_id),
            id=audience_fanout_workflow_id(journey_id),
            task_queue=task_queue,
        ),
        spec=ScheduleSpec(cron_expressions=[audience.schedule], time_zone_name=timezone),
        # A run still going at the next time: that time is skipped, members enter once.
        # Times the server missed (it was down) are caught up only within the hour, so an
        # outage never ends in a burst of back-to-back runs.
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=CATCHUP_WINDOW),
        state=ScheduleState(
            note=f"journey {journey_id} v{version}: every member of audience {audience.id} "
            f"enters at {audience.schedule} ({timezone})"
        ),
    )


async def sync_audience_schedule(
    client: Client, task_queue: str, journey_id: str, version: int, definition: JourneyDefinition
) -> None:
    """Make Temporal match the live version: schedule, one run, or nothing."""
    schedule = audience_schedule(journey_id, version, definition, task_queue)
    if schedule is None:
        await delete_audience_schedule(client, journey_id)
        audience = definition.entry.audience
        if audience is not None and audience.schedule == ONCE:
            await start_once(client, task_queue, journey_id, version)
        return
    await upsert_schedule(client, audience_journey_schedule_id(journey_id), schedule)


async def start_once(client: Client, task_queue: str, journey_id: str, version: int) -> None:
    # Already started: this version's one run was started by an earlier publish.
    with contextlib.suppress(WorkflowAlreadyStartedError):
        await client.start_workflow(
            AUDIENCE_FANOUT_WORKFLOW,
            AudienceFanoutInput(journey_id=journey_id),
            id=audience_once_workflow_id(journey_id, version),
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )


async def delete_audience_schedule(client: Client, journey_id: str) -> bool:
    """Whether there was a schedule to delete."""
    return await delete_schedule(client, audience_journey_schedule_id(journey_id))
