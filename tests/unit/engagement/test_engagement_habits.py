"""The reading-habit model (engagement/habits.py) and the choice of a send time
(engagement/choice.py), table by table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from engagement.choice import best_time, candidates
from engagement.habits import HOURS, habit, hour_of_week, shares, smoothed, zone

PARIS = ZoneInfo("Europe/Paris")
MONDAY = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday, 00:00 UTC (01:00 in Paris)


def counts(**at: float) -> list[float]:
    """Hour-of-week counts from `h<hour>=<count>` keywords."""
    week = [0.0] * HOURS
    for key, value in at.items():
        week[int(key[1:])] = value
    return week


@pytest.mark.parametrize(
    ("moment", "tz", "expected"),
    [
        (MONDAY, ZoneInfo("UTC"), 0),
        (MONDAY, PARIS, 1),  # 01:00 Monday in Paris
        (MONDAY - timedelta(minutes=1), ZoneInfo("UTC"), 167),  # Sunday 23:59
        (MONDAY + timedelta(days=2, hours=9, minutes=59), ZoneInfo("UTC"), 57),  # Wednesday 09:59
        (datetime(2026, 7, 6, 7, tzinfo=UTC), PARIS, 9),  # summer time: 09:00 Monday in Paris
    ],
)
def test_hour_of_week_is_local(moment: datetime, tz: ZoneInfo, expected: int) -> None:
    assert hour_of_week(moment, tz) == expected


def test_an_unknown_or_missing_zone_reads_as_utc() -> None:
    assert zone("Mars/Olympus") == zone(None) == zone("") == ZoneInfo("UTC")
    assert zone("Europe/Paris") == PARIS


def test_smoothing_spreads_each_count_to_its_neighbours_and_keeps_the_total() -> None:
    week = smoothed(counts(h0=10))
    assert (week[167], week[0], week[1]) == pytest.approx((3.0, 4.0, 3.0))
    assert sum(week) == pytest.approx(10)


def test_shares_of_nothing_are_uniform() -> None:
    assert shares([0.0, 0.0]) == [0.5, 0.5]
    assert shares([1.0, 3.0]) == [0.25, 0.75]


def test_without_any_history_a_profile_reads_like_the_population() -> None:
    crowd = [0.0] * HOURS
    for day in range(7):
        crowd[day * 24 + 20] = 50.0  # everyone reads at 20:00
    h = habit([0.0] * HOURS, crowd)
    assert h.observations == 0
    assert sum(h.probabilities) == pytest.approx(1)
    assert h.best_hours(1)[0] % 24 == 20


def test_a_profile_history_outweighs_the_population_as_it_grows() -> None:
    crowd = [0.0] * HOURS
    for day in range(7):
        crowd[day * 24 + 20] = 50.0
    own = [0.0] * HOURS
    for day in range(7):
        own[day * 24 + 7] = 30.0  # this one reads at 07:00, every day, 210 opens
    h = habit(own, crowd)
    assert h.observations == 210
    assert h.best_hours(1)[0] % 24 == 7
    few = habit(counts(h7=1), crowd)  # one open at 07:00 Monday: not enough to overrule
    assert few.best_hours(1)[0] % 24 == 20


def test_a_daily_rhythm_is_learned_from_opens_on_different_days() -> None:
    """Opens at 08:00 on Monday, Tuesday and Wednesday make 08:00 likely on Thursday too."""
    h = habit(counts(h8=1, h32=1, h56=1), [0.0] * HOURS)
    thursday_8, thursday_15 = 3 * 24 + 8, 3 * 24 + 15
    assert h.probabilities[thursday_8] > 2 * h.probabilities[thursday_15]


def test_candidates_are_now_and_each_top_of_the_hour_in_the_window() -> None:
    now = MONDAY + timedelta(minutes=20)
    found = candidates(now, timedelta(hours=3))
    assert found == [now] + [MONDAY + timedelta(hours=k) for k in (1, 2, 3)]


def test_the_best_time_is_the_start_of_the_likeliest_local_hour() -> None:
    h = habit(counts(h9=40, h33=40), [0.0] * HOURS)  # 09:00 local on Monday and Tuesday
    now = MONDAY  # 01:00 Monday in Paris
    assert best_time(now, timedelta(hours=24), PARIS, h) == MONDAY + timedelta(hours=8)
    # 09:00 is out of a 7-hour window: 08:00, its neighbour, is the likeliest left
    assert best_time(now, timedelta(hours=7), PARIS, h) == MONDAY + timedelta(hours=7)
    # nothing in 01:00-04:00 stands out: the earliest, now
    assert best_time(now, timedelta(hours=3), PARIS, h) == now


def test_a_flat_habit_sends_at_once() -> None:
    flat = habit([0.0] * HOURS, [0.0] * HOURS)
    now = MONDAY + timedelta(minutes=7)
    assert best_time(now, timedelta(hours=24), PARIS, flat) == now
