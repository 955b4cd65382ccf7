"""Moving running profiles from one version of a journey to another (journeys.migration).

The entry ledger names the runs of version a; each run's state (the `state` query) says
where it rests, and the pure `migrate` says what the move would do. A dry run only counts;
an execution writes the audit row, then signals each run that would move, `concurrency` at
a time. A run applies the signal at its next rest point and records that it did
(`journey_migration_runs`); one whose state changed in between stays where it is.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
from temporalio.client import Client
from temporalio.service import RPCError

from core.contracts import MigrateSignal
from core.names import MIGRATE_SIGNAL, STATE_QUERY
from db.sql import q
from journeys.migration import MigrationPlan, Refusal, check_plan, migrate
from journeys.model import JourneyDefinition
from journeys.runtime import JourneyState
from services.errors import FieldProblem, Invalid, NotFound

RPC_TIMEOUT_S = 10


@dataclass(frozen=True)
class Caller:
    """The API key that asked, for the audit row."""

    key_id: uuid.UUID
    name: str


@dataclass
class MigrationCounts:
    """What a migration does (dry run) or did: runs moved per `old -> new` mapping, exited
    (unmapped with `unmapped: exit`), skipped by reason, and signals that failed."""

    migration_id: uuid.UUID | None = None
    candidates: int = 0
    moves: Counter[str] = field(default_factory=Counter)
    exits: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    failed: int = 0

    @property
    def moved(self) -> int:
        return sum(self.moves.values()) + self.exits


async def run_migration(
    pool: asyncpg.Pool,
    temporal: Client,
    journey_id: str,
    plan: MigrationPlan,
    *,
    dry_run: bool,
    caller: Caller,
    concurrency: int = 16,
) -> MigrationCounts:
    """Check `plan`, count what it would move, and unless `dry_run` move them."""
    a = await _version(pool, journey_id, plan.from_version)
    b_raw = await _raw_version(pool, journey_id, plan.to_version)
    b = JourneyDefinition.model_validate(b_raw)
    problems = check_plan(a, b, plan)
    if problems:
        raise Invalid([FieldProblem(p.field, p.message) for p in problems], "unsafe migration")
    rows = await pool.fetch(q("migration_candidates"), journey_id, plan.from_version)
    states = await _gather(concurrency, [_state(temporal, r["workflow_id"]) for r in rows])
    counts = MigrationCounts(candidates=len(rows))
    movers = [
        r["workflow_id"] for r, s in zip(rows, states, strict=True) if _count(counts, s, a, b, plan)
    ]
    if dry_run:
        return counts
    counts.migration_id = uuid.uuid4()
    await _audit(pool, counts.migration_id, journey_id, plan, caller)
    signal = MigrateSignal(migration_id=str(counts.migration_id), plan=plan, definition=b_raw)
    sent = await _gather(concurrency, [_signal(temporal, w, signal) for w in movers])
    counts.failed = sent.count(False)
    await pool.execute(
        q("count_migration"),
        counts.migration_id,
        counts.moved - counts.failed,
        sum(counts.skipped.values()),
        counts.failed,
    )
    return counts


async def _raw_version(pool: asyncpg.Pool, journey_id: str, version: int) -> dict[str, Any]:
    row = await pool.fetchrow(q("read_journey_version"), journey_id, version)
    if row is None:
        raise NotFound(f"version {version} of journey {journey_id!r}")
    definition = row["definition"]
    return json.loads(definition) if isinstance(definition, str) else dict(definition)


async def _version(pool: asyncpg.Pool, journey_id: str, version: int) -> JourneyDefinition:
    return JourneyDefinition.model_validate(await _raw_version(pool, journey_id, version))


def _count(
    counts: MigrationCounts,
    state: JourneyState | None,
    a: JourneyDefinition,
    b: JourneyDefinition,
    plan: MigrationPlan,
) -> bool:
    """Count what the move does to one run; whether it is to be signalled."""
    if state is None:
        counts.skipped["not running"] += 1
        return False
    outcome = migrate(state, a, b, plan, datetime.now(UTC), 0)
    if isinstance(outcome, Refusal):
        counts.skipped[outcome.reason] += 1
        return False
    if outcome.state.status != "active":
        counts.exits += 1
    else:
        counts.moves[f"{state.node} -> {plan.mapping[state.node or '']}"] += 1
    return True


async def _state(temporal: Client, workflow_id: str) -> JourneyState | None:
    """Where the run rests; None when Temporal no longer runs it."""
    try:
        handle = temporal.get_workflow_handle(workflow_id)
        return await handle.query(STATE_QUERY, result_type=JourneyState)
    except RPCError:
        return None


async def _signal(temporal: Client, workflow_id: str, signal: MigrateSignal) -> bool:
    try:
        await temporal.get_workflow_handle(workflow_id).signal(MIGRATE_SIGNAL, signal)
    except RPCError:
        return False
    return True


async def _gather(concurrency: int, calls: list[Any]) -> list[Any]:
    """Await `calls` (coroutines), at most `concurrency` at a time, results in order."""
    slots = asyncio.Semaphore(concurrency)

    async def one(call: Any) -> Any:
        async with slots:
            return await call

    return list(await asyncio.gather(*(one(c) for c in calls)))


async def _audit(
    pool: asyncpg.Pool,
    migration_id: uuid.UUID,
    journey_id: str,
    plan: MigrationPlan,
    caller: Caller,
) -> None:
    await pool.execute(
        q("insert_migration"),
        migration_id,
        journey_id,
        plan.from_version,
        plan.to_version,
        caller.key_id,
        caller.name,
        json.dumps(plan.mapping),
        plan.model_dump_json(),
    )


async def list_migrations(pool: asyncpg.Pool, journey_id: str) -> list[dict[str, Any]]:
    """The audit rows of a journey, newest first, with how many runs applied each."""
    rows = await pool.fetch(q("list_migrations"), journey_id)
    return [_audit_row(dict(r)) for r in rows]


def _audit_row(row: dict[str, Any]) -> dict[str, Any]:
    mapping = row["mapping"]
    return row | {"mapping": json.loads(mapping) if isinstance(mapping, str) else mapping}
