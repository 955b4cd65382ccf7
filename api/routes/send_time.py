"""Send-time optimisation, inspected: what the engagement model learned of a profile."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import PoolDep, Reader
from api.errors import field, invalid
from api.schemas.common import ERRORS, ProfileIdPath
from api.schemas.send_time import DAYS, Goal, HourPublic, SendTimePublic
from journeys.durations import duration_upper_bound
from services.engagement import SendTime, send_time

router = APIRouter(prefix="/profiles", tags=["profiles"], responses=ERRORS)

MAX_WINDOW_DAYS = 7


def _window(within: str) -> float:
    """`within` in seconds; a 422 naming it past a week (the habit repeats weekly)."""
    try:
        seconds = duration_upper_bound(within).total_seconds()
    except ValueError as exc:
        raise invalid([field("within", str(exc))]) from None
    if not 0 < seconds <= MAX_WINDOW_DAYS * 86_400:
        raise invalid(
            [field("within", f"must be longer than zero and at most P{MAX_WINDOW_DAYS}D")]
        )
    return seconds


@router.get("/{profile_id}/send-time")
async def get_send_time(
    profile_id: ProfileIdPath,
    pool: PoolDep,
    _: Reader,
    goal: Goal = "opened",
    within: Annotated[
        str, Query(min_length=2, max_length=40, description="ISO 8601 duration, up to P7D")
    ] = "PT24H",
) -> SendTimePublic:
    """The profile's reading habit (per local hour of the week) and the best send time now."""
    found = await send_time(pool, profile_id, goal, timedelta(seconds=_window(within)))
    return _public(found)


def _public(found: SendTime) -> SendTimePublic:
    h = found.habit
    best = [
        HourPublic(hour_of_week=x, day=DAYS[x // 24], hour=x % 24, probability=h.probabilities[x])
        for x in h.best_hours()
    ]
    return SendTimePublic(
        profile_id=found.profile_id,
        goal=found.goal,
        timezone=found.timezone,
        observations=h.observations,
        population_observations=found.population_observations,
        best_hours=best,
        next_send_at=found.next_send_at,
        probabilities=list(h.probabilities),
    )
