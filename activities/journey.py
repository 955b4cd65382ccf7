"""Entry, profile and exit activities of JourneyWorkflow: cheap reads run as local activities."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import asyncpg
from temporalio import activity

from core.contracts import EnterInput, EnterResult, FinishInput, LoadProfileInput
from db.sql import q
from db.types import Executor
from journeys.durations import add_duration
from journeys.model import JourneyDefinition, Profile


async def fetch_profile(conn: Executor, profile_id: str) -> Profile:
    """A profile never seen before is an empty one: events may arrive before identify."""
    row = await conn.fetchrow(q("get_profile"), profile_id)
    if row is None:
        return Profile(profile_id=profile_id)
    return Profile(**dict(row))


def reentry_refusal(
    defn: JourneyDefinition, previous: Mapping[str, Any] | None, now: datetime
) -> str | None:
    """Why this profile may not enter again, or None; the ledger outlives Temporal retention."""
    if previous is None:
        return None
    mode = defn.reentry.mode
    if mode == "never":
        return "reentry never: the profile entered before"
    if mode == "after" and defn.reentry.wait:
        # One workflow id runs once at a time, so the previous run is closed; a row with no
        # end (an operator terminated it) counts from its entry.
        since = previous["ended_at"] or previous["entered_at"]
        ready = add_duration(since, defn.reentry.wait)
        if now < ready:
            return f"reentry after {defn.reentry.wait}: allowed from {ready.isoformat()}"
    return None


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
            # Serialise entries of one (journey, profile) so two runs cannot both pass the rule.
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", inp.workflow_id)
            previous = await conn.fetchrow(
                q("previous_entry"), inp.journey_id, inp.profile_id, inp.entry_run_id
            )
            refusal = reentry_refusal(defn, dict(previous) if previous else None, inp.entered_at)
            if refusal:
                return EnterResult(allowed=False, reason=refusal)
            await conn.execute(
                q("insert_entry"),
                inp.entry_run_id,
                inp.workflow_id,
                inp.journey_id,
                inp.version,
                inp.profile_id,
                inp.entered_at,
            )
            profile = await fetch_profile(conn, inp.profile_id)
        return EnterResult(allowed=True, definition=definition, profile=profile)

    @activity.defn(name="load_profile")
    async def load_profile(self, inp: LoadProfileInput) -> Profile:
        return await fetch_profile(self.pool, inp.profile_id)

    @activity.defn(name="finish_journey")
    async def finish_journey(self, inp: FinishInput) -> None:
        await self.pool.execute(
            q("finish_entry"), inp.entry_run_id, inp.ended_at, inp.status, inp.reason
        )
