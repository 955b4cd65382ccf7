"""Local wall-clock arithmetic: weekday waits and quiet hours, across midnight and DST."""

from __future__ import annotations

from datetime import UTC, datetime, time, tzinfo
from zoneinfo import ZoneInfo

import pytest

from journeys.clock import next_weekday, quiet_hours_end, timezone_for
from journeys.fields import WEEKDAYS, Weekday
from journeys.model import Profile

PARIS = ZoneInfo("Europe/Paris")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "days", "at", "tz", "expected"),
    [
        (utc(2024, 1, 31, 12), ["mon"], time(9), UTC, utc(2024, 2, 5, 9)),
        (utc(2024, 1, 31, 8), ["wed"], time(9), UTC, utc(2024, 1, 31, 9)),
        (utc(2024, 1, 31, 9), ["wed"], time(9), UTC, utc(2024, 2, 7, 9)),  # strictly after
        (utc(2024, 1, 31, 9), list(WEEKDAYS), time(9), UTC, utc(2024, 2, 1, 9)),
        (utc(2024, 1, 31, 23, 30), ["thu"], time(9), PARIS, utc(2024, 2, 1, 8)),  # 00:30 local
        (utc(2024, 10, 26, 12), ["sat", "sun"], time(9), PARIS, utc(2024, 10, 27, 8)),  # CET
        (utc(2024, 10, 25, 12), ["sat"], time(9), PARIS, utc(2024, 10, 26, 7)),  # CEST
        (utc(2024, 3, 30, 12), ["sun"], time(2, 30), PARIS, utc(2024, 3, 31, 1, 30)),  # gap
    ],
)
def test_next_weekday(
    now: datetime, days: list[Weekday], at: time, tz: tzinfo, expected: datetime
) -> None:
    assert next_weekday(now, days, at, tz) == expected


@pytest.mark.parametrize(
    ("now", "start", "end", "tz", "expected"),
    [
        (utc(2024, 1, 31, 22), time(21), time(8), UTC, utc(2024, 2, 1, 8)),
        (utc(2024, 1, 31, 21), time(21), time(8), UTC, utc(2024, 2, 1, 8)),  # start included
        (utc(2024, 1, 31, 7, 59), time(21), time(8), UTC, utc(2024, 1, 31, 8)),
        (utc(2024, 1, 31, 8), time(21), time(8), UTC, None),  # end excluded
        (utc(2024, 1, 31, 12), time(21), time(8), UTC, None),
        (utc(2024, 1, 31, 13), time(13), time(14), UTC, utc(2024, 1, 31, 14)),
        (utc(2024, 1, 31, 14), time(13), time(14), UTC, None),
        (utc(2024, 1, 31, 21), time(21), time(8), PARIS, utc(2024, 2, 1, 7)),  # 22:00 local
        (utc(2024, 3, 30, 22), time(21), time(8), PARIS, utc(2024, 3, 31, 6)),  # to summer time
    ],
)
def test_quiet_hours_end(
    now: datetime, start: time, end: time, tz: tzinfo, expected: datetime | None
) -> None:
    assert quiet_hours_end(now, start, end, tz) == expected


def test_timezone_for() -> None:
    assert timezone_for("Europe/Paris", Profile(profile_id="p", timezone="Asia/Tokyo")) == PARIS
    assert timezone_for(None, Profile(profile_id="p", timezone="Europe/Paris")) == PARIS
    assert timezone_for(None, Profile(profile_id="p", timezone="Not/AZone")) == UTC
    assert timezone_for(None, Profile(profile_id="p")) == UTC
    assert timezone_for(None, None) == UTC
