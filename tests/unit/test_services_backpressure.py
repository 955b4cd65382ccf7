"""The backpressure decision (services/backpressure.py), table by table: no server needed."""

from __future__ import annotations

import pytest

from core.settings import Settings
from services.backpressure import UNBOUNDED_COUNT, Limits, Overload, Reading, overload

BOTH = Limits(backlog=100, lag_seconds=30.0, retry_after=10)


@pytest.mark.parametrize(
    ("reading", "expected"),
    [
        (Reading(0, 0.0), None),
        (Reading(100, 30.0), None),  # at the bound is still within it
        (
            Reading(101, 0.0),
            Overload("backlog", "more than 100 events wait to be routed; retry later"),
        ),
        (
            Reading(5, 42.4),
            Overload(
                "lag", "the oldest unrouted event has waited 42 s, more than 30 s; retry later"
            ),
        ),
        (  # the backlog is said first when both pass
            Reading(500, 90.0),
            Overload("backlog", "more than 100 events wait to be routed; retry later"),
        ),
    ],
)
def test_overload_names_the_bound_a_reading_passes(
    reading: Reading, expected: Overload | None
) -> None:
    assert overload(reading, BOTH) == expected


def test_an_unset_bound_never_refuses() -> None:
    open_ended = Limits(backlog=None, lag_seconds=None, retry_after=10)
    assert overload(Reading(10**9, 10**6), open_ended) is None


def test_the_backlog_is_counted_one_past_its_bound() -> None:
    assert BOTH.count_limit() == 101
    assert Limits(None, None, 10).count_limit() == UNBOUNDED_COUNT


def test_the_defaults_bound_the_backlog_only() -> None:
    assert Limits.of(Settings()) == Limits(backlog=100_000, lag_seconds=None, retry_after=10)
