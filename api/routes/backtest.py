"""Backtest: a journey replayed against the stored events of a window, nothing sent."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import JourneysWriter, PoolDep
from api.schemas.backtest import BacktestCreate, BacktestPublic
from api.schemas.common import ERRORS, JourneyIdPath
from services.backtest import CannedAnswers, DefinitionChoice, WindowChoice, run_backtest

router = APIRouter(prefix="/journeys", tags=["journeys"], responses=ERRORS)


@router.post("/{journey_id}/backtest")
async def backtest_journey(
    journey_id: JourneyIdPath, body: BacktestCreate, pool: PoolDep, _: JourneysWriter
) -> BacktestPublic:
    """Predict per-node counts and messages per profile and per day, as if the journey (a
    published version, the draft, or a candidate `definition`) had been live over the window."""
    done = await run_backtest(
        pool,
        journey_id,
        source=DefinitionChoice(body.definition, body.version, body.use),
        window=WindowChoice(body.since, body.start, body.end),
        answers=CannedAnswers(body.action_responses, frozenset(body.failing_actions)),
        against_live=body.against_live,
    )
    return BacktestPublic(
        journey_id=journey_id,
        source=done.candidate.source,
        version=done.candidate.version,
        start=done.window.start,
        end=done.window.end,
        changes=done.changes,
        **done.summary,
    )
