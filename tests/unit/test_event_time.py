"""The believable range of an event timestamp (journeys/event_time.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from journeys.event_time import EARLIEST, MAX_AHEAD, timestamp_problem

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "stamp",
    [None, EARLIEST, NOW, NOW - timedelta(days=9000), NOW + MAX_AHEAD],
)
def test_believable_timestamps_pass(stamp: datetime | None) -> None:
    assert timestamp_problem(stamp, NOW) is None


@pytest.mark.parametrize(
    "stamp",
    [
        datetime(1970, 1, 1, tzinfo=UTC),
        datetime(594, 1, 1, tzinfo=UTC),
        EARLIEST - timedelta(microseconds=1),
        NOW + MAX_AHEAD + timedelta(seconds=1),
        datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
    ],
)
def test_far_timestamps_are_refused_with_the_range(stamp: datetime) -> None:
    problem = timestamp_problem(stamp, NOW)
    assert problem is not None
    assert "2000-01-01" in problem and "2026-12-04T12:00:00+00:00" in problem
