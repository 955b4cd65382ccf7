"""The engagement model's counts: kept up to date from tracking events, read per profile.

Every `message.opened` / `message.clicked` event the outbox stores for the first time is
counted at its local hour of the week, for its profile and for the population, in the same
transaction (so a retried pixel or a duplicate event id counts once). The model itself is
pure (engagement/); this module only moves its counts in and out of PostgreSQL.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg

from db.sql import q
from db.types import Executor
from engagement.choice import best_time
from engagement.habits import HOURS, Habit, habit, hour_of_week, zone
from journeys.nodes.buckets import bucket
from services.errors import found

GOALS = {"message.opened": "opened", "message.clicked": "clicked"}
"""The events that teach the model, and the goal each counts for."""


@dataclass(frozen=True)
class Seen:
    """One first open or click: whose, which goal, and when it happened."""

    profile_id: str
    goal: str
    at: datetime


def goal_events(
    names: Sequence[str], times: Sequence[datetime], new: dict[str, str], ids: Sequence[str]
) -> list[Seen]:
    """The newly stored events (`new`: event id -> profile id) that are opens or clicks."""
    return [
        Seen(new[event_id], GOALS[name], at)
        for event_id, name, at in zip(ids, names, times, strict=True)
        if name in GOALS and event_id in new
    ]


async def observe(conn: Executor, seen: Sequence[Seen]) -> None:
    """Count each open or click at its profile's local hour, for the profile and for all."""
    if not seen:
        return
    profiles = sorted({s.profile_id for s in seen})
    zones = {
        r["profile_id"]: r["timezone"] for r in await conn.fetch(q("profile_timezones"), profiles)
    }
    hours = Counter(
        (s.profile_id, s.goal, hour_of_week(s.at, zone(zones.get(s.profile_id)))) for s in seen
    )
    keys = sorted(hours)
    await conn.execute(
        q("count_engagement"),
        [k[0] for k in keys],
        [k[1] for k in keys],
        [k[2] for k in keys],
        [hours[k] for k in keys],
    )
    everyone = Counter()  # type: Counter[tuple[str, int]]
    for (_, goal, hour), n in hours.items():
        everyone[(goal, hour)] += n
    shared = sorted(everyone)
    await conn.execute(
        q("count_population_engagement"),
        [k[0] for k in shared],
        [k[1] for k in shared],
        [everyone[k] for k in shared],
    )


@dataclass(frozen=True)
class SendTime:
    """A profile's habit, what it rests on, and when the next send would go."""

    profile_id: str
    goal: str
    timezone: str
    habit: Habit
    population_observations: int
    next_send_at: datetime


def _week(rows: Sequence[asyncpg.Record]) -> list[float]:
    week = [0.0] * HOURS
    for r in rows:
        week[r["hour"]] = float(r["count"])
    return week


async def send_time(
    pool: asyncpg.Pool, profile_id: str, goal: str, within: timedelta, now: datetime | None = None
) -> SendTime:
    """The profile's habit for `goal` and its best send time from `now` within `within`."""
    row = await pool.fetchrow(q("profile_timezones"), [profile_id])
    profile = found(row, f"profile {profile_id!r}")
    learned, crowd = await _habit(pool, profile_id, goal)
    tz = zone(profile["timezone"])
    when = best_time(now or datetime.now(UTC), within, tz, learned)
    return SendTime(profile_id, goal, tz.key, learned, int(sum(crowd)), when)


async def best_send_at(
    pool: asyncpg.Pool, profile_id: str, goal: str, within: timedelta, now: datetime
) -> datetime:
    """When a journey's optimised send goes: as `send_time`, and at once for a profile that
    is gone (erased meanwhile): a send that cannot be optimised is not held back."""
    row = await pool.fetchrow(q("profile_timezones"), [profile_id])
    if row is None:
        return now
    learned, _ = await _habit(pool, profile_id, goal)
    return best_time(now, within, zone(row["timezone"]), learned)


async def _habit(pool: asyncpg.Pool, profile_id: str, goal: str) -> tuple[Habit, list[float]]:
    own = _week(await pool.fetch(q("profile_engagement"), profile_id, goal))
    crowd = _week(await pool.fetch(q("population_engagement"), goal))
    return habit(own, crowd), crowd


@dataclass(frozen=True)
class MemberTime:
    """When a campaign member is sent (None: at once) and which side of the uplift it is on."""

    profile_id: str
    due_at: datetime | None
    group: str


async def member_send_times(
    conn: Executor,
    rows: Sequence[asyncpg.Record],
    goal: str,
    within: timedelta,
    holdout: float,
    key: str,
    now: datetime,
) -> list[MemberTime]:
    """Each member's best time within `within` from its counts (rows of audience_engagement:
    profile, timezone, hour, count); a hashed `holdout` share goes at once."""
    weeks: dict[str, list[float]] = {}
    zones: dict[str, str | None] = {}
    for r in rows:
        week = weeks.setdefault(r["profile_id"], [0.0] * HOURS)
        zones[r["profile_id"]] = r["timezone"]
        if r["hour"] is not None:
            week[r["hour"]] = float(r["count"])
    crowd = _week(await conn.fetch(q("population_engagement"), goal))
    parts = round(holdout * 1000)
    out = []
    for profile_id, week in weeks.items():
        if parts and bucket(f"{key}:{profile_id}:send_time", [parts, 1000 - parts]) == 0:
            out.append(MemberTime(profile_id, None, "holdout"))
            continue
        at = best_time(now, within, zone(zones[profile_id]), habit(week, crowd))
        out.append(MemberTime(profile_id, at if at > now else None, "optimised"))
    return out
