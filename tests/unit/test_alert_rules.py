"""When an alert opens, holds and resolves (workers/alerts.py `decide`)."""

from __future__ import annotations

import pytest

from workers.alerts import Rule, Sample, decide

RULE = Rule(threshold=0.2, min_samples=20)


def sample(failures: int, total: int) -> Sample:
    return Sample("action_error_rate", "action:x", failures, total)


@pytest.mark.parametrize(
    ("failures", "total", "is_open", "expected"),
    [
        (4, 20, False, "open"),  # 20% with the minimum sample: at the threshold opens
        (3, 20, False, "none"),  # 15%
        (19, 19, False, "none"),  # 100% but one short of the minimum sample
        (0, 0, False, "none"),
        (4, 20, True, "update"),  # still at the threshold: stays open
        (1, 2, True, "update"),  # a small sample above the threshold does not resolve
        (3, 20, True, "resolve"),  # fell back below
        (0, 0, True, "resolve"),  # nothing happened in the window
    ],
)
def test_decide(failures: int, total: int, is_open: bool, expected: str) -> None:
    assert decide(sample(failures, total), is_open, RULE) == expected


def test_an_open_alert_without_a_sample_resolves() -> None:
    assert decide(None, True, RULE) == "resolve"
    assert decide(None, False, RULE) == "none"
