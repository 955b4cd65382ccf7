"""The Temporal Schedule that re-evaluates a time-relative audience (architecture decision 6).

Created or updated when such an audience is saved, deleted when the audience no longer
needs it; `audience-refresh:<id>` in the Temporal UI.
"""

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

from core.contracts import RefreshAudienceInput
from core.names import AUDIENCE_REFRESH_WORKFLOW, audience_refresh_schedule_id
from services.schedules import delete_schedule, upsert_schedule


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
    await upsert_schedule(client, audience_refresh_schedule_id(audience_id), schedule)


async def remove_refresh_schedule(client: Client, audience_id: str) -> None:
    await delete_schedule(client, audience_refresh_schedule_id(audience_id))
