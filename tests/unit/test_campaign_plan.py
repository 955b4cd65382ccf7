"""Pure campaign planning with a fake `now`: local send times, ramp-up, throttle, ids."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from campaigns.plan import (
    campaign_message_id,
    local_due_times,
    next_local_time,
    next_ramp_day,
    parse_local_time,
    ramp_allowance,
    split_batches,
    throttle_delay,
    throttle_group,
    zone,
)

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)  # noon UTC


def test_local_time_today_or_tomorrow() -> None:
    ten = time(10, 0)
    # New York is at 08:00 (EDT from 8 March 2026): 10:00 today is 14:00 UTC.
    assert next_local_time(ten, zone("America/New_York"), NOW) == datetime(
        2026, 3, 10, 14, 0, tzinfo=UTC
    )
    # Tokyo is at 21:00: its next 10:00 is tomorrow, 01:00 UTC.
    assert next_local_time(ten, zone("Asia/Tokyo"), NOW) == datetime(2026, 3, 11, 1, 0, tzinfo=UTC)
    # Exactly now counts as now.
    assert next_local_time(time(12, 0), zone("UTC"), NOW) == NOW


def test_due_times_spread_over_a_day_and_unknown_zones_fall_back() -> None:
    dues = local_due_times(["Europe/Paris", None, "Not/AZone", "Asia/Tokyo"], time(10), NOW)
    assert dues[None] == dues["Not/AZone"] == datetime(2026, 3, 11, 10, 0, tzinfo=UTC)
    assert dues["Europe/Paris"] == datetime(2026, 3, 11, 9, 0, tzinfo=UTC)
    assert all(NOW <= due < NOW + timedelta(days=1) for due in dues.values())
    with_default = local_due_times([None], time(10), NOW, default="America/New_York")
    assert with_default[None] == datetime(2026, 3, 10, 14, 0, tzinfo=UTC)


def test_parse_local_time() -> None:
    assert parse_local_time("09:30") == time(9, 30)
    for bad in ("9", "25:00", "ab:cd", "10:00:00"):
        with pytest.raises(ValueError):
            parse_local_time(bad)


def test_ramp_up_allowance_is_cumulative_then_unlimited() -> None:
    ramp = [100, 200, 400]
    assert ramp_allowance(ramp, NOW, NOW) == 100
    assert ramp_allowance(ramp, NOW, NOW + timedelta(hours=23, minutes=59)) == 100
    assert ramp_allowance(ramp, NOW, NOW + timedelta(days=1)) == 300
    assert ramp_allowance(ramp, NOW, NOW + timedelta(days=2, hours=5)) == 700
    assert ramp_allowance(ramp, NOW, NOW + timedelta(days=3)) is None
    assert ramp_allowance([], NOW, NOW) is None
    assert next_ramp_day(NOW, NOW + timedelta(hours=3)) == NOW + timedelta(days=1)
    assert next_ramp_day(NOW, NOW + timedelta(days=1)) == NOW + timedelta(days=2)


def test_throttle_paces_groups_to_the_rate() -> None:
    assert throttle_group(None, 2000) == 2000
    assert throttle_group(50, 2000) == 50
    assert throttle_group(0.5, 2000) == 1
    assert throttle_group(10_000, 2000) == 2000
    assert throttle_delay(50, 50) == timedelta(seconds=1)
    assert throttle_delay(1, 0.5) == timedelta(seconds=2)
    assert throttle_delay(500, None) == timedelta(0)


def test_batches_and_message_ids() -> None:
    assert split_batches(0, 1050, 500) == [(0, 500), (500, 1000), (1000, 1050)]
    assert split_batches(7, 7, 500) == []
    a = campaign_message_id("c", "r1", "p")
    assert a == campaign_message_id("c", "r1", "p")
    assert a != campaign_message_id("c", "r2", "p") != campaign_message_id("c", "r1", "q")


def test_weighted_pick_is_stable_and_follows_weights() -> None:
    from campaigns.plan import weighted_pick

    picks = [weighted_pick([20, 80], f"c|p{i}") for i in range(5000)]
    assert picks == [weighted_pick([20, 80], f"c|p{i}") for i in range(5000)]
    share = picks.count(0) / len(picks)
    assert 0.17 < share < 0.23
    assert {weighted_pick([0, 100], f"k{i}") for i in range(100)} == {1}
