"""Writing the step ledger and quiet-hours deferrals (db/queries/steps.sql).

JourneyWorkflow buffers the interpreter's trace and hands it over with an activity that runs
anyway (the send, the finish) or, when the journey comes to rest in a wait, with one
`record_steps` local activity. Every write here is idempotent, so retries, replays and a
batch written twice leave the same rows.
"""

from __future__ import annotations

import json

import asyncpg
from temporalio import activity

from core.contracts import StepBatch
from db.sql import q
from db.types import Executor
from journeys.trace import merge


async def write_batch(conn: Executor, batch: StepBatch) -> None:
    steps = merge(batch.steps)
    if steps:
        await conn.execute(
            q("record_steps"),
            batch.entry_run_id,
            batch.workflow_id,
            batch.journey_id,
            batch.version,
            batch.profile_id,
            [s.node for s in steps],
            [s.visit for s in steps],
            [s.type for s in steps],
            [s.entered_at for s in steps],
            [s.seq for s in steps],
            [s.left_at for s in steps],
            [s.outcome for s in steps],
            [s.detail for s in steps],
            # JSON text: asyncpg would read a list of lists as a two-dimensional array
            [json.dumps([c.model_dump(mode="json") for c in s.checks]) for s in steps],
        )
    if batch.deferred is not None:
        d = batch.deferred
        await conn.execute(
            q("defer_message"),
            d.message_id,
            batch.profile_id,
            batch.journey_id,
            batch.version,
            d.node_id,
            batch.workflow_id,
            d.channel,
            d.template,
            d.until,
            d.reason,
        )
    if batch.cancel_deferred is not None:
        await conn.execute(q("cancel_deferred"), batch.cancel_deferred)


class StepLedgerActivities:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    @activity.defn(name="record_steps")
    async def record_steps(self, batch: StepBatch) -> None:
        await write_batch(self.pool, batch)
