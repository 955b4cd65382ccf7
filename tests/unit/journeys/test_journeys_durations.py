"""ISO 8601 durations: parsing, calendar-aware addition, upper bounds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import isodate
import pytest

from journeys.durations import add_duration, duration_upper_bound, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT30M", timedelta(minutes=30)),
        ("PT1H", timedelta(hours=1)),
        ("P1D", timedelta(days=1)),
        ("P2W", timedelta(weeks=2)),
        ("PT1.5S", timedelta(seconds=1.5)),
        ("P1DT12H", timedelta(days=1, hours=12)),
        ("PT0S", timedelta(0)),
        ("P1M", isodate.Duration(months=1)),
        ("P1Y2M", isodate.Duration(years=1, months=2)),
    ],
)
def test_parse_duration(text: str, expected: object) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text", ["", "1 day", "P", "PT", "P1DT", "-P1D", "P1.5D", "p1d", "PT1H ", "P1H", 5, None]
)
def test_parse_duration_rejects(text: object) -> None:
    with pytest.raises(ValueError, match="ISO 8601 duration"):
        parse_duration(text)  # type: ignore[arg-type]


PARIS = timezone(timedelta(hours=1))


@pytest.mark.parametrize(
    ("start", "text", "expected"),
    [
        (datetime(2024, 1, 31, tzinfo=UTC), "P1M", datetime(2024, 2, 29, tzinfo=UTC)),
        (datetime(2023, 1, 31, tzinfo=UTC), "P1M", datetime(2023, 2, 28, tzinfo=UTC)),
        (datetime(2024, 2, 29, tzinfo=UTC), "P1Y", datetime(2025, 2, 28, tzinfo=UTC)),
        (datetime(2024, 12, 15, tzinfo=UTC), "P1M", datetime(2025, 1, 15, tzinfo=UTC)),
        (datetime(2024, 1, 1, 23, tzinfo=UTC), "PT2H", datetime(2024, 1, 2, 1, tzinfo=UTC)),
        (datetime(2024, 1, 1, tzinfo=PARIS), "P1DT1H", datetime(2024, 1, 2, 1, tzinfo=PARIS)),
    ],
)
def test_add_duration(start: datetime, text: str, expected: datetime) -> None:
    result = add_duration(start, text)
    assert result == expected
    assert result.tzinfo == start.tzinfo


def test_add_duration_overflows_loudly() -> None:
    with pytest.raises(OverflowError):
        add_duration(datetime(9999, 12, 1, tzinfo=UTC), "P1Y")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT1H", timedelta(hours=1)),
        ("P30D", timedelta(days=30)),
        ("P1M", timedelta(days=31)),
        ("P1Y", timedelta(days=366)),
        ("P1Y2M3DT4H", timedelta(days=366 + 62 + 3, hours=4)),
    ],
)
def test_duration_upper_bound(text: str, expected: timedelta) -> None:
    assert duration_upper_bound(text) == expected
