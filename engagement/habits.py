"""A profile's reading habit: how its opens (or clicks) spread over the 168 hours of a week.

Counts alone say little: a profile with a dozen opens has seen most hours of the week zero
times. So the estimate is shrunk twice, as a hierarchical model would: the profile's own
hour-of-week counts toward its hour-of-day rhythm spread over the population's weekly shape,
and that rhythm toward the population's. A profile with no history reads like everyone; one
with hundreds of opens like itself. Counts are kept in the profile's local time, so "9 in
the morning" means the same to a reader in Paris and one in Tokyo.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

HOURS = 168
DAY = 24
WEEK_PRIOR = 100.0
"""Opens' worth of weight the profile's daily rhythm has against its hour-of-week counts."""
DAY_PRIOR = 2.0
"""Opens' worth of weight the population's daily rhythm has against the profile's."""
KERNEL = (0.3, 0.4, 0.3)
"""An open at 9:40 says something about 9:00 and 10:00 too: each count is spread ±1 hour."""
UTC = ZoneInfo("UTC")


def zone(name: str | None) -> ZoneInfo:
    """The profile's time zone; an unknown or missing one reads as UTC."""
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def hour_of_week(moment: datetime, tz: ZoneInfo) -> int:
    """0 for Monday 00:00 to 00:59 local time, 167 for Sunday 23:00 to 23:59."""
    local = moment.astimezone(tz)
    return local.weekday() * DAY + local.hour


def smoothed(counts: Sequence[float]) -> list[float]:
    """Each count spread over its neighbouring hours (circular), total kept."""
    n = len(counts)
    left, middle, right = KERNEL
    return [
        left * counts[(h - 1) % n] + middle * counts[h] + right * counts[(h + 1) % n]
        for h in range(n)
    ]


def shares(counts: Sequence[float]) -> list[float]:
    """Counts as a distribution; no counts at all as the uniform one."""
    total = sum(counts)
    if total <= 0:
        return [1.0 / len(counts)] * len(counts)
    return [c / total for c in counts]


def by_hour_of_day(week: Sequence[float]) -> list[float]:
    return [sum(week[d * DAY + h] for d in range(7)) for h in range(DAY)]


def by_day(week: Sequence[float]) -> list[float]:
    return [sum(week[d * DAY : (d + 1) * DAY]) for d in range(7)]


@dataclass(frozen=True)
class Habit:
    """A reading habit: the probability of each hour of the week, and what it rests on."""

    probabilities: tuple[float, ...]
    observations: int

    def best_hours(self, top: int = 3) -> list[int]:
        """The most likely hours of the week, best first (earliest on ties)."""
        ranked = sorted(range(HOURS), key=lambda h: (-self.probabilities[h], h))
        return ranked[:top]


def habit(profile: Sequence[float], population: Sequence[float]) -> Habit:
    """The profile's habit from its hour-of-week counts and the population's (both local)."""
    own = smoothed(profile)
    n = sum(profile)
    crowd = smoothed(population)
    crowd_day = shares(by_hour_of_day(crowd))
    own_day = by_hour_of_day(own)
    rhythm = [(own_day[h] + DAY_PRIOR * crowd_day[h]) / (n + DAY_PRIOR) for h in range(DAY)]
    weekly = shares(by_day(crowd))
    base = shares([rhythm[h % DAY] * weekly[h // DAY] for h in range(HOURS)])
    probabilities = tuple((own[h] + WEEK_PRIOR * base[h]) / (n + WEEK_PRIOR) for h in range(HOURS))
    return Habit(probabilities, int(n))
