"""Audience membership in Postgres: estimate, full evaluation, per-profile recheck.

Each evaluation runs the compiled rule (audiences/sql.py) and applies the result as
one set-based diff (`apply_membership`) in one transaction, under a per-audience advisory
lock so a full evaluation and a recheck of the same audience never interleave. Changes
become audience_changes rows and `audience.entered` / `audience.exited` events in the
outbox, which the ordinary dispatcher routes to journeys.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
from temporalio import activity

from audiences.rules import Rule, dependencies, parse_rule
from audiences.sql import count_members, select_members
from core.contracts import RefreshAudienceInput, RefreshAudienceResult
from db.sql import q
from db.types import Executor

log = logging.getLogger("wayline.audiences")

EVAL_WORK_MEM = "256MB"


@dataclass(frozen=True)
class MembershipChange:
    entered: int = 0
    exited: int = 0

    def __add__(self, other: MembershipChange) -> MembershipChange:
        return MembershipChange(self.entered + other.entered, self.exited + other.exited)


def stored_rule(definition: Any) -> Rule:
    """A stored definition was validated when saved; a failure here is a bug, loudly."""
    rule, problems = parse_rule(definition)
    if rule is None:
        raise ValueError(f"stored audience definition is invalid: {problems}")
    return rule


async def estimate(pool: asyncpg.Pool, rule: Rule, now: datetime) -> int:
    """How many profiles match now, without saving anything."""
    compiled = count_members(rule, now)
    async with pool.acquire() as conn, conn.transaction(readonly=True):
        await conn.execute(q("eval_work_mem"), EVAL_WORK_MEM)
        found = await conn.fetchval(compiled.sql, *compiled.params)
    return int(found or 0)


async def save_dependencies(conn: Executor, audience_id: str, rule: Rule) -> None:
    rows = dependencies(rule).rows()
    await conn.execute(
        q("set_audience_dependencies"),
        audience_id,
        [kind for kind, _ in rows],
        [name for _, name in rows],
    )


async def evaluate(conn: Executor, audience_id: str, rule: Rule, now: datetime) -> MembershipChange:
    """Full evaluation; the caller's transaction makes it atomic."""
    await conn.execute(q("lock_audience"), audience_id)
    await conn.execute(q("eval_work_mem"), EVAL_WORK_MEM)
    compiled = select_members(rule, now)
    matching = [r[0] for r in await conn.fetch(compiled.sql, *compiled.params)]
    change = await _apply(conn, audience_id, now, None, matching)
    await conn.execute(q("mark_evaluated"), audience_id, now)
    return change


async def evaluate_in_transaction(
    pool: asyncpg.Pool, audience_id: str, rule: Rule, now: datetime
) -> MembershipChange:
    async with pool.acquire() as conn, conn.transaction():
        return await evaluate(conn, audience_id, rule, now)


async def recheck(
    conn: Executor, audience_id: str, rule: Rule, profile_ids: list[str], now: datetime
) -> MembershipChange:
    """Re-evaluate only these profiles (their attributes changed or they sent an event)."""
    await conn.execute(q("lock_audience"), audience_id)
    compiled = select_members(rule, now, profile_ids)
    matching = [r[0] for r in await conn.fetch(compiled.sql, *compiled.params)]
    return await _apply(conn, audience_id, now, profile_ids, matching)


async def _apply(
    conn: Executor,
    audience_id: str,
    now: datetime,
    scope: list[str] | None,
    matching: list[str],
) -> MembershipChange:
    row = await conn.fetchrow(q("apply_membership"), audience_id, now, scope, matching)
    assert row is not None
    change = MembershipChange(int(row["entered"]), int(row["exited"]))
    if change.entered or change.exited:
        await conn.execute(q("notify_events"))
    return change


class AudienceActivities:
    """The scheduled full re-evaluation of time-relative audiences (DESIGN.md decision 6)."""

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
