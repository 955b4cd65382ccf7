"""The scheduled full re-evaluation of time-relative audiences (architecture decision 6).

The membership itself is services/audiences.py, which the API also runs when an audience
is saved.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import asyncpg
from temporalio import activity

from core.contracts import RefreshAudienceInput, RefreshAudienceResult
from db.sql import q
from services.audiences import evaluate_in_transaction, stored_rule

log = logging.getLogger("wayline.audiences")


class AudienceActivities:
    """The scheduled full re-evaluation of time-relative audiences (architecture decision 6)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    @activity.defn(name="refresh_audience")
    async def refresh_audience(self, inp: RefreshAudienceInput) -> RefreshAudienceResult:
        rows = await self.pool.fetch(q("audience_definitions"), [inp.audience_id])
        if not rows:  # deleted or archived since the schedule fired
            return RefreshAudienceResult(audience_id=inp.audience_id, evaluated=False)
        rule = stored_rule(rows[0]["definition"])
        change = await evaluate_in_transaction(self.pool, inp.audience_id, rule, datetime.now(UTC))
        log.info("audience %s refreshed: %s", inp.audience_id, change)
        return RefreshAudienceResult(
            audience_id=inp.audience_id,
            evaluated=True,
            entered=change.entered,
            exited=change.exited,
        )
