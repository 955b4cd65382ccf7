"""The Temporal Schedule that re-evaluates a time-relative audience (DESIGN.md decision 6).

Created or updated when such an audience is saved, deleted when the audience no longer
needs it; `audience-refresh:<id>` in the Temporal UI.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.service import RPCError, RPCStatusCode

from core.contracts import RefreshAudienceInput
from core.names import AUDIENCE_REFRESH_WORKFLOW, audience_refresh_schedule_id


def refresh_schedule(audience_id: str, task_queue: str, every: timedelta) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            AUDIENCE_REFRESH_WORKFLOW,
            RefreshAudienceInput(audience_id=audience_id),
            id=audience_refresh_schedule_id(audience_id),
            task_queue=task_queue,
        ),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=every)]),
        # A refresh still running when the next is due makes the next one pointless.
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


async def ensure_refresh_schedule(
    client: Client, audience_id: str, task_queue: str, every: timedelta
) -> None:
    schedule = refresh_schedule(audience_id, task_queue, every)
    schedule_id = audience_refresh_schedule_id(audience_id)
    try:
        await client.create_schedule(schedule_id, schedule)
    except ScheduleAlreadyRunningError:

        def replace(_: ScheduleUpdateInput) -> ScheduleUpdate:
            return ScheduleUpdate(schedule=schedule)

        await client.get_schedule_handle(schedule_id).update(replace)


async def remove_refresh_schedule(client: Client, audience_id: str) -> None:
    try:
        await client.get_schedule_handle(audience_refresh_schedule_id(audience_id)).delete()
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
