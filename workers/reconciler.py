"""Closes the ledger rows of journey runs that ended outside Wayline.

A run terminated with the `temporal` CLI or UI (docs/operators.md), failed, or stopped by an
execution timeout runs no activity of its own on the way out, so its `journey_entries` row
would stay open: the profile would look inside the journey, count against `max_inside`
caps and against `reentry: never`, and the report would show it waiting forever. Every
tick, one worker (advisory lock) lists the journey runs that closed that way recently in
Temporal visibility and closes their rows, their open step rows and any deferred message.
Closing is idempotent (only open rows entered before the close), so overlapping look-back
windows and several workers are harmless. The worker runs `reconcile_once` every interval
under its supervisor (workers/supervisor.py), which logs and retries a failed tick.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
from temporalio.client import Client, WorkflowExecutionStatus

from core.metrics import JOURNEY_EXITS
from core.names import JOURNEY_WORKFLOW
from db.sql import q
from db.types import Executor

log = logging.getLogger("wayline.reconciler")
_LOCK_KEY = 7_221_995

# Temporal's close status → (entry status, step outcome, reason prefix)
_ENDINGS: dict[WorkflowExecutionStatus, tuple[str, str, str]] = {
    WorkflowExecutionStatus.TERMINATED: ("exited", "exit_criteria", "terminated in Temporal"),
    WorkflowExecutionStatus.FAILED: ("errored", "errored", "workflow failed"),
    WorkflowExecutionStatus.TIMED_OUT: ("timed_out", "timed_out", "workflow execution timed out"),
}


@dataclass(frozen=True)
class Ended:
    workflow_id: str
    closed_at: datetime
    status: WorkflowExecutionStatus


class Reconciler:
    def __init__(
        self, pool: asyncpg.Pool, client: Client, interval: float, lookback: timedelta
    ) -> None:
        self.pool, self.client, self.interval = pool, client, interval
        self.lookback = lookback  # the first tick looks back this far; later ones 3 ticks
        self._since: datetime | None = None

    async def reconcile_once(self, now: datetime | None = None) -> int:
        """Closes what it finds; returns how many ledger entries it closed."""
        now = now or datetime.now(UTC)
        since = self._since or now - self.lookback
        async with self.pool.acquire() as conn, conn.transaction():
            if not await conn.fetchval("SELECT pg_try_advisory_xact_lock($1)", _LOCK_KEY):
                return 0
            ended = await self._ended_since(since)
            closed = await self._close(conn, ended) if ended else 0
        self._since = now - timedelta(seconds=3 * self.interval)
        return closed

    async def _ended_since(self, since: datetime) -> list[Ended]:
        statuses = " OR ".join(
            f"ExecutionStatus = '{s.name.title().replace('_', '')}'" for s in _ENDINGS
        )
        query = (
            f"WorkflowType = '{JOURNEY_WORKFLOW}' AND ({statuses}) "
            f"AND CloseTime > '{since.astimezone(UTC).isoformat()}'"
        )
        found: list[Ended] = []
        async for wf in self.client.list_workflows(query):
            if wf.status in _ENDINGS and wf.close_time is not None:
                found.append(Ended(wf.id, wf.close_time, wf.status))
        return found

    async def _close(self, conn: Executor, ended: list[Ended]) -> int:
        rows = await conn.fetch(
            q("close_entries_ended_outside"),
            [e.workflow_id for e in ended],
            [e.closed_at for e in ended],
            [_ENDINGS[e.status][0] for e in ended],
            [_ENDINGS[e.status][2] for e in ended],
        )
        if not rows:
            return 0
        outcome = {e.workflow_id: _ENDINGS[e.status] for e in ended}
        await conn.execute(
            q("close_steps_ended_outside"),
            [r["run_id"] for r in rows],
            [outcome[r["workflow_id"]][1] for r in rows],
            [outcome[r["workflow_id"]][2] for r in rows],
        )
        await conn.execute(q("cancel_deferred_stopped"), [r["workflow_id"] for r in rows])
        for r in rows:
            JOURNEY_EXITS.labels(r["journey_id"], r["status"]).inc()
        log.info("closed %d journey entries whose runs ended outside Wayline", len(rows))
        return len(rows)
