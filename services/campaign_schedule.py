"""When a recurring campaign runs next: its Temporal Schedule's own answer, so the console
shows what Temporal will do rather than a second reading of the cron expression."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import asyncpg
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from services.campaign_client import schedule_id
from services.campaigns import read
from services.errors import NotFound


@dataclass(frozen=True)
class Upcoming:
    """`scheduled` is False while the campaign is archived or awaits approval: it then has
    no Temporal Schedule, and no next run."""

    campaign_id: str
    cron: str
    timezone: str
    scheduled: bool
    paused: bool = False
    next_runs: list[datetime] = field(default_factory=list)


async def upcoming(pool: asyncpg.Pool, temporal: Client, campaign_id: str, count: int) -> Upcoming:
    """The next `count` run times of the campaign's schedule; NotFound without a schedule."""
    row = await read(pool, campaign_id)
    spec = row["schedule"]
    if spec is None:
        raise NotFound(f"schedule of campaign {campaign_id!r}")
    base = Upcoming(campaign_id, spec["cron"], spec.get("timezone", "UTC"), scheduled=False)
    try:
        described = await temporal.get_schedule_handle(schedule_id(campaign_id)).describe()
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return base
        raise
    return Upcoming(
        campaign_id,
        base.cron,
        base.timezone,
        scheduled=True,
        paused=described.schedule.state.paused,
        next_runs=list(described.info.next_action_times[:count]),
    )
