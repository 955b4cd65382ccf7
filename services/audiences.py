"""Audience membership in Postgres: estimate, full evaluation, per-profile recheck.

Shared by the API (saving an audience evaluates it), the rechecker and the scheduled
refresh activity (activities/audiences.py).

Each evaluation runs the compiled rule (journeys/audience_sql.py) and applies the result as
one set-based diff (`apply_membership`) in one transaction, under a per-audience advisory
lock so a full evaluation and a recheck of the same audience never interleave. Changes
become audience_changes rows and `audience.entered` / `audience.exited` events in the
outbox, which the ordinary dispatcher routes to journeys.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from temporalio.client import Client

from audiences.entity_check import problems, reach, uses_entities
from audiences.rules import Rule, dependencies, dump_rule, parse_rule, time_relative
from audiences.sql import count_members, select_members
from core.settings import Settings
from db.sql import q
from db.types import Executor
from entities.model import Definition
from services.audience_refresh_schedule import ensure_refresh_schedule, remove_refresh_schedule
from services.entities import definitions
from services.errors import Conflict, FieldProblem, Invalid, NotFound, Unavailable

EVAL_WORK_MEM = "256MB"


@dataclass(frozen=True)
class RefreshPlan:
    """Where and how often a time-relative audience is evaluated again in full."""

    task_queue: str
    every: timedelta

    @classmethod
    def of(cls, settings: Settings) -> RefreshPlan:
        """The plan the deployment's settings give (`WAYLINE_AUDIENCE_REFRESH_SECONDS`)."""
        return cls(settings.task_queue, timedelta(seconds=settings.audience_refresh_seconds))


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


async def entity_types(conn: Executor, rule: Rule) -> dict[str, Definition]:
    """The entity definitions an entity rule is compiled with (none for other rules)."""
    return await definitions(conn) if uses_entities(rule) else {}


async def checked_types(conn: Executor, rule: Rule) -> dict[str, Definition]:
    """The entity definitions, after checking the rule against them (Invalid names each
    problem by its path); the shared lock keeps them until the transaction ends."""
    if not uses_entities(rule):
        return {}
    await conn.execute(q("share_entity_types"))
    types = await definitions(conn)
    found = problems(rule, types)
    if found:
        raise Invalid([FieldProblem(p.path, p.message) for p in found], "the definition is invalid")
    return types


async def estimate(pool: asyncpg.Pool, rule: Rule, now: datetime) -> int:
    """How many profiles match now, without saving anything."""
    async with pool.acquire() as conn, conn.transaction(readonly=True):
        compiled = count_members(rule, now, await checked_types(conn, rule))
        await conn.execute(q("eval_work_mem"), EVAL_WORK_MEM)
        found = await conn.fetchval(compiled.sql, *compiled.params)
    return int(found or 0)


async def save_dependencies(
    conn: Executor, audience_id: str, rule: Rule, types: dict[str, Definition]
) -> None:
    """What the triggers watch: attribute keys, fields, events and entity reach paths."""
    rows = dependencies(rule).rows() + [("entity", path) for path in sorted(reach(rule, types))]
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
    compiled = select_members(rule, now, types=await entity_types(conn, rule))
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
    compiled = select_members(rule, now, profile_ids, await entity_types(conn, rule))
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


async def save(
    pool: asyncpg.Pool,
    temporal: Client,
    refresh: RefreshPlan,
    audience_id: str,
    about: tuple[str, str | None],
    rule: Rule,
    *,
    new: bool,
) -> MembershipChange:
    """Create (`new`) or replace an audience (`about`: name, description), then evaluate it.

    On a replace, members who no longer match leave (with events)."""
    async with pool.acquire() as conn, conn.transaction():
        types = await checked_types(conn, rule)
        saved = await conn.fetchval(
            q("insert_audience" if new else "update_audience"),
            audience_id,
            *about,
            dump_rule(rule),
            time_relative(rule),
        )
        if saved is None:
            if new:
                raise Conflict(f"audience {audience_id!r} exists; PUT to change it")
            raise NotFound(f"audience {audience_id!r}")
        await save_dependencies(conn, audience_id, rule, types)
    # Committed first, so profiles written meanwhile are queued for recheck by the triggers.
    return await _after_save(pool, temporal, refresh, audience_id, rule)


async def _after_save(
    pool: asyncpg.Pool, temporal: Client, refresh: RefreshPlan, audience_id: str, rule: Rule
) -> MembershipChange:
    """Evaluate in full, then make the schedule match the rule."""
    change = await evaluate_in_transaction(pool, audience_id, rule, datetime.now(UTC))
    try:
        if time_relative(rule):
            await ensure_refresh_schedule(temporal, audience_id, refresh.task_queue, refresh.every)
        else:
            await remove_refresh_schedule(temporal, audience_id)
    except Exception as exc:  # Temporal unreachable: the audience is saved, say what is missing
        raise Unavailable(
            f"audience saved and evaluated, but its refresh schedule failed: {exc}"
        ) from exc
    return change


async def delete(pool: asyncpg.Pool, temporal: Client, audience_id: str) -> None:
    """The audience, its members and change log, and its refresh schedule.

    The schedule goes first: with Temporal unreachable the refusal leaves the audience
    whole, rather than answering an error for an audience already deleted."""
    await remove_refresh_schedule(temporal, audience_id)
    if await pool.fetchval(q("delete_audience"), audience_id) is None:
        raise NotFound(f"audience {audience_id!r}")
