"""When to send within a window: the start of the profile's likeliest hour to read.

The candidates are now and every top of the hour up to the window's end, in the profile's
time zone; the likeliest wins, the earliest on a tie, so a profile with a flat habit is sent
to at once. The journey waits for the chosen time on a durable timer; a campaign sends in
hourly waves.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from engagement.habits import Habit, hour_of_week

HOUR = timedelta(hours=1)


def candidates(now: datetime, within: timedelta) -> list[datetime]:
    """Now, then each top of the hour after now, up to now + within."""
    first = now.replace(minute=0, second=0, microsecond=0) + HOUR
    found = [now]
    while first <= now + within:
        found.append(first)
        first += HOUR
    return found


def best_time(now: datetime, within: timedelta, tz: ZoneInfo, habit: Habit) -> datetime:
    """The candidate whose local hour of the week the profile is likeliest to read in."""
    scored = [
        (-habit.probabilities[hour_of_week(t, tz)], i, t)
        for i, t in enumerate(candidates(now, within))
    ]
    return min(scored)[2]
