"""Entry, profile and exit activities of JourneyWorkflow: cheap reads run as local activities."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import asyncpg
from temporalio import activity

from activities.steplog import write_batch
from core.connectors import ActionSpec, DataSourceSpec, action_task_queue
from core.contracts import (
    ActionRoute,
    EnterInput,
    EnterResult,
    FinishInput,
    LoadProfileInput,
    MigrationApplied,
    MigrationRecorded,
)
from core.metrics import JOURNEY_ENTRIES, JOURNEY_EXITS
from db.sql import q
from db.types import Executor
from journeys.model import JourneyDefinition, Profile
from journeys.nodes.action import ActionNode
from journeys.nodes.fetch import FetchNode
from journeys.routing import entry_open, reentry_refusal


async def fetch_profile(conn: Executor, profile_id: str) -> Profile:
    """A profile never seen before is an empty one: events may arrive before identify."""
    row = await conn.fetchrow(q("get_profile"), profile_id)
    if row is None:
        return Profile(profile_id=profile_id)
    return Profile(**dict(row))


class JourneyActivities:
    """Activities get the pool injected (samples-python's activity-method pattern)."""

    def __init__(
        self, pool: asyncpg.Pool, task_queue: str = "wayline", definition_cache_size: int = 1024
    ) -> None:
        self.pool = pool
        self.task_queue = task_queue
        self._definitions: OrderedDict[tuple[str, int], dict[str, Any]] = OrderedDict()
        self._cache_size = definition_cache_size

    async def _definition(self, journey_id: str, version: int) -> dict[str, Any] | None:
        """Published versions are immutable, so caching them forever is safe."""
        key = (journey_id, version)
        if key in self._definitions:
            self._definitions.move_to_end(key)
            return self._definitions[key]
        found = await self.pool.fetchval(q("journey_version_definition"), journey_id, version)
        if found is not None:
            self._definitions[key] = found
            if len(self._definitions) > self._cache_size:
                self._definitions.popitem(last=False)
        return found

    @activity.defn(name="enter_journey")
    async def enter_journey(self, inp: EnterInput) -> EnterResult:
        definition = await self._definition(inp.journey_id, inp.version)
        if definition is None:
            return EnterResult(
                allowed=False, reason=f"no version {inp.version} of {inp.journey_id}"
            )
        defn = JourneyDefinition.model_validate(definition)
        async with self.pool.acquire() as conn, conn.transaction():
            # Serialise entries of one instance (journey, profile[, key]: its workflow id) so
            # two runs cannot both pass the rule.
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", inp.workflow_id)
            entered = await conn.fetchval(q("entry_exists"), inp.entry_run_id)
            if not entered:  # a retry of an entry that was written already passes
                refusal = await self._refusal(conn, defn, inp)
                if refusal:
                    JOURNEY_ENTRIES.labels(inp.journey_id, "refused").inc()
                    return EnterResult(allowed=False, reason=refusal)
                await conn.execute(
                    q("insert_entry"),
                    inp.entry_run_id,
                    inp.workflow_id,
                    inp.journey_id,
                    inp.version,
                    inp.profile_id,
                    inp.entered_at,
                    inp.entry_event_id,
                    inp.key,
                )
            profile = await fetch_profile(conn, inp.profile_id)
        if not entered:  # committed; a retry of this entry is not counted again
            JOURNEY_ENTRIES.labels(inp.journey_id, "entered").inc()
        routes = await self._routes(defn)
        return EnterResult(allowed=True, definition=definition, profile=profile, routes=routes)

    async def _refusal(
        self, conn: Executor, defn: JourneyDefinition, inp: EnterInput
    ) -> str | None:
        if not entry_open(defn, inp.entered_at):
            return "outside the entry window"
        if inp.entry_event_id is not None and await conn.fetchval(
            q("entry_event_entered"),
            inp.journey_id,
            inp.profile_id,
            inp.entry_event_id,
            inp.entry_run_id,
        ):
            # A repeated signal-with-start of the same entry (a retried audience run page, a
            # re-routed event, a retried jump) after the first run ended: not a new entry.
            return f"already entered with event {inp.entry_event_id}"
        previous = await conn.fetchrow(
            q("previous_entry"), inp.journey_id, inp.profile_id, inp.entry_run_id, inp.key
        )
        if refusal := reentry_refusal(defn, dict(previous) if previous else None, inp.entered_at):
            return refusal
        cap = defn.entry_cap
        if cap is None:
            return None
        # Caps count the whole journey: one entry at a time per journey while they apply.
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('cap:' || $1))", inp.journey_id)
        counts = await conn.fetchrow(q("entry_counts"), inp.journey_id, inp.entered_at)
        assert counts is not None
        if cap.per_day is not None and counts["today"] >= cap.per_day:
            return f"entry cap: {cap.per_day} entries per day reached"
        if cap.max_inside is not None and counts["inside"] >= cap.max_inside:
            return f"entry cap: {cap.max_inside} profiles inside"
        return None

    @activity.defn(name="record_migration")
    async def record_migration(self, inp: MigrationApplied) -> MigrationRecorded:
        """The run is in another version now: the entry ledger, the migration's audit and
        the step records say so (idempotent: a retry writes the same rows); the routes of
        the new version's actions come back as at entry."""
        async with self.pool.acquire() as conn, conn.transaction():
            if inp.steps is not None:
                await write_batch(conn, inp.steps)
            await conn.execute(q("move_entry"), inp.entry_run_id, inp.version)
            await conn.execute(q("insert_migration_run"), inp.migration_id, inp.entry_run_id)
        routes = await self._routes(JourneyDefinition.model_validate(inp.definition))
        return MigrationRecorded(routes=routes)

    async def _routes(self, defn: JourneyDefinition) -> dict[str, ActionRoute]:
        """How to schedule each action and fetch of this version, read once at entry."""
        names = {("action", n.action) for n in defn.nodes.values() if isinstance(n, ActionNode)}
        names |= {("fetch", n.source) for n in defn.nodes.values() if isinstance(n, FetchNode)}
        if not names:
            return {}
        rows = await self.pool.fetch(q("connector_specs"), [n for _, n in names])
        found = {(r["kind"], r["name"]): r["spec"] for r in rows}
        routes: dict[str, ActionRoute] = {}
        for kind, name in names:
            raw = found.get((kind, name))
            if raw is None:
                continue  # the call itself fails and records why
            spec = (
                ActionSpec.model_validate(raw)
                if kind == "action"
                else DataSourceSpec.model_validate(raw)
            )
            routes[f"{kind}:{name}"] = ActionRoute(
                task_queue=action_task_queue(self.task_queue, name) if kind == "action" else None,
                timeout_seconds=spec.timeout_seconds,
                max_attempts=spec.retry.max_attempts,
                initial_interval_seconds=spec.retry.initial_interval_seconds,
                backoff=spec.retry.backoff,
                max_interval_seconds=spec.retry.max_interval_seconds,
            )
        return routes

    @activity.defn(name="load_profile")
    async def load_profile(self, inp: LoadProfileInput) -> Profile:
        return await fetch_profile(self.pool, inp.profile_id)

    @activity.defn(name="finish_journey")
    async def finish_journey(self, inp: FinishInput) -> None:
        if inp.steps is not None:
            await write_batch(self.pool, inp.steps)
        journey_id = await self.pool.fetchval(
            q("finish_entry"), inp.entry_run_id, inp.ended_at, inp.status, inp.reason
        )
        if journey_id is not None:  # the ledger row ended now, not in an earlier attempt
            JOURNEY_EXITS.labels(journey_id, inp.status).inc()
