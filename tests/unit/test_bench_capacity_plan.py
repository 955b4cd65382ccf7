"""The capacity planner's arithmetic, pinned on the examples docs/capacity.md prints."""

from __future__ import annotations

import pytest

from bench.capacity_plan import Figures, Load, main, plan, power_of_two_at_least, shards


def values(load: Load) -> dict[str, str]:
    return {line.what: line.value for line in plan(load, Figures())}


def test_the_documented_example_of_500_events_a_second() -> None:
    got = values(Load(events_per_second=500, steps=3, open_journeys=3_000_000))
    assert got == {
        "journey steps/s": "1,500",
        "worker cores": "16.2 (17 pods of 1 CPU)",
        "API cores": "1.1",
        "Temporal actions/s (billed on Cloud)": "2,500",
        "Temporal history shards": "1,024",
        "Temporal database write transactions/s": "4,500",
        "Temporal database storage": "1,739 GB",
        "Wayline PostgreSQL cores": "2.3",
        "Wayline PostgreSQL storage": "9,914 GB (110.2 GB a day)",
    }


@pytest.mark.parametrize(
    ("load", "expected"),
    [
        (Load(events_per_second=1, open_journeys=0), 512),  # never under Temporal's guidance
        (Load(events_per_second=10, open_journeys=100_000_000), 4096),  # by open workflows
        (Load(events_per_second=2000, steps=5, open_journeys=0), 8192),  # by writes in flight
    ],
)
def test_shards_take_the_larger_need_as_a_power_of_two(load: Load, expected: int) -> None:
    assert shards(load, Figures()) == expected


def test_power_of_two_at_least() -> None:
    assert [power_of_two_at_least(n) for n in (0, 1, 3, 4, 5, 4097)] == [1, 1, 4, 4, 8, 8192]


def test_the_command_takes_every_figure_as_an_option(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--events-per-second", "100", "--worker-ms-per-step", "14", "--steps", "2"])
    out = capsys.readouterr().out
    assert "worker cores                            4.3 (5 pods of 1 CPU)" in out
