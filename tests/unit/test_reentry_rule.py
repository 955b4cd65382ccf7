"""The re-entrance rule, table by table: it reads the entry ledger, not Temporal retention."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from activities.journey import reentry_refusal
from journeys.model import JourneyDefinition

NOW = datetime(2026, 5, 1, 12, tzinfo=UTC)


def defn(reentry: dict[str, Any]) -> JourneyDefinition:
    return JourneyDefinition.model_validate(
        {
            "id": "j",
            "name": "j",
            "entry": {"event": "e"},
            "reentry": reentry,
            "start": "done",
            "nodes": {"done": {"type": "end"}},
        }
    )


def entry(entered_ago: timedelta, ended_ago: timedelta | None) -> dict[str, Any]:
    return {
        "entered_at": NOW - entered_ago,
        "ended_at": None if ended_ago is None else NOW - ended_ago,
    }


H = timedelta(hours=1)


@pytest.mark.parametrize(
    ("reentry", "previous", "refused"),
    [
        ({"mode": "never"}, None, False),
        ({"mode": "never"}, entry(300 * 24 * H, 299 * 24 * H), True),
        ({"mode": "always"}, entry(2 * H, H), False),
        ({"mode": "always"}, entry(2 * H, None), False),
        ({"mode": "after", "wait": "PT1H"}, None, False),
        ({"mode": "after", "wait": "PT1H"}, entry(3 * H, 0.5 * H), True),
        ({"mode": "after", "wait": "PT1H"}, entry(3 * H, 2 * H), False),
        ({"mode": "after", "wait": "PT1H"}, entry(0.5 * H, None), True),
        ({"mode": "after", "wait": "PT1H"}, entry(2 * H, None), False),
        ({"mode": "after", "wait": "P1M"}, entry(40 * 24 * H, 29 * 24 * H), True),
    ],
)
def test_reentry(reentry: dict[str, Any], previous: dict[str, Any] | None, refused: bool) -> None:
    assert (reentry_refusal(defn(reentry), previous, NOW) is not None) is refused
