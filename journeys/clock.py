"""Local wall-clock arithmetic for waits and quiet hours: pure, `now` is always given.

Timezones are IANA names read with `zoneinfo` (deterministic for a given tz database).
A node's own timezone wins; else the profile's (as last loaded); else UTC. An unknown
profile timezone falls back to UTC rather than failing a running journey (a node's own
timezone is checked at publish).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, tzinfo

from journeys.fields import WEEKDAYS, Weekday, zone
from journeys.records import Profile


def timezone_for(name: str | None, profile: Profile | None) -> tzinfo:
    """The node's timezone `name`, else the profile's, else UTC."""
    found = zone(name) or zone(profile.timezone if profile is not None else None)
    return found if found is not None else UTC


def _at(day: datetime, clock_time: time, tz: tzinfo) -> datetime:
    """`clock_time` on the local date of `day`, in `tz`, as an aware UTC datetime."""
    return datetime.combine(day.date(), clock_time, tzinfo=tz).astimezone(UTC)


def next_weekday(now: datetime, days: list[Weekday], clock_time: time, tz: tzinfo) -> datetime:
    """The first `clock_time` on one of `days` (local to `tz`) strictly after `now`."""
    local = now.astimezone(tz)
    allowed = {WEEKDAYS.index(day) for day in days} or set(range(7))
    for offset in range(8):
        day = local + timedelta(days=offset)
        if day.weekday() in allowed:
            moment = _at(day, clock_time, tz)
            if moment > now:
                return moment
    # Unreachable with 8 days to choose from; kept total for odd timezones.
    return _at(local + timedelta(days=8), clock_time, tz)  # pragma: no cover


def quiet_hours_end(now: datetime, start: time, end: time, tz: tzinfo) -> datetime | None:
    """The end of the quiet window `now` falls in (start included, end excluded), or None.

    The window may wrap midnight (`21:00` to `08:00`). Local times that do not exist or
    exist twice on a DST change are resolved by `zoneinfo` (fold 0).
    """
    local = now.astimezone(tz)
    current = local.time().replace(tzinfo=None)
    wraps = end < start
    inside = (current >= start or current < end) if wraps else (start <= current < end)
    if not inside:
        return None
    day = local if current < end else local + timedelta(days=1)
    until = _at(day, end, tz)
    return until if until > now else None
