"""Side effects of journey steps other than sends: profile updates, experiment assignments,
jumps into other journeys, and the read of a send time. Each is idempotent under retries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
from temporalio import activity
from temporalio.client import Client

from core.contracts import (
    AssignmentInput,
    DecideInput,
    DecideResult,
    JumpInput,
    JumpResult,
    SelectRecordsInput,
    SelectRecordsResult,
    SendTimeAnswer,
    SendTimeInput,
    UpdateProfileInput,
)
from db.sql import q
from journeys.entry_key import KeyMissing
from journeys.model import Event, JourneyDefinition, Profile
from journeys.routing import entry_key
from journeys.runtime import EntityRecord
from services import decisions
from services.decisions import DecisionRequest
from services.engagement import best_send_at
from services.entity_selection import select_records
from services.errors import Invalid, NotFound
from services.journey_client import enter_journey
from services.profile_updates import apply_update


class StepActivities:
    def __init__(self, pool: asyncpg.Pool, client: Client, task_queue: str) -> None:
        self.pool = pool
        self.client = client
        self.task_queue = task_queue

    @activity.defn(name="update_profile")
    async def update_profile(self, inp: UpdateProfileInput) -> Profile:
        """Applied once per update id, atomically with the ledger row that says so."""
        async with self.pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(q("lock_profile"), inp.profile_id)
            assert row is not None
            profile = Profile(**dict(row))
            if await conn.fetchval(q("claim_profile_update"), inp.update_id, inp.profile_id):
                attributes = apply_update(profile.attributes, inp)
                await conn.execute(q("set_profile_attributes"), inp.profile_id, attributes)
                profile = profile.model_copy(update={"attributes": attributes})
        return profile

    @activity.defn(name="choose_send_time")
    async def choose_send_time(self, inp: SendTimeInput) -> SendTimeAnswer:
        """The engagement model's best time for the profile (a read: safe to retry)."""
        within = timedelta(seconds=inp.within_seconds)
        at = await best_send_at(self.pool, inp.profile_id, inp.goal, within, inp.now)
        return SendTimeAnswer(send_at=at)

    @activity.defn(name="select_entity_records")
    async def select_entity_records(self, inp: SelectRecordsInput) -> SelectRecordsResult:
        """The profile's records a per-entity message node sends to (a read: safe to retry;
        the workflow's history keeps the answer, so a replay sends to the same records)."""
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                found = await select_records(conn, inp.per, [inp.profile_id], inp.now)
        except Invalid as exc:
            return SelectRecordsResult(error=exc.message)
        records = [EntityRecord(type=inp.per.entity, key=r.key, scope=r.scope) for r in found]
        return SelectRecordsResult(records=records)

    @activity.defn(name="record_assignment")
    async def record_assignment(self, inp: AssignmentInput) -> None:
        await self.pool.execute(
            q("record_assignment"),
            inp.entry_run_id,
            inp.node_id,
            inp.journey_id,
            inp.version,
            inp.profile_id,
            inp.variant,
        )

    @activity.defn(name="decide")
    async def decide(self, inp: DecideInput) -> DecideResult:
        """Propose once per request id: a retry answers the recorded proposition."""
        request = DecisionRequest(
            inp.decision, inp.profile_id, inp.request_id, inp.event, inp.context
        )
        try:
            found = await decisions.propose(self.pool, request, datetime.now(UTC))
        except NotFound as exc:
            return DecideResult(ok=False, error=exc.message)
        return DecideResult(ok=True, response=decisions.as_vars(found))

    @activity.defn(name="jump_to_journey")
    async def jump_to_journey(self, inp: JumpInput) -> JumpResult:
        """Enter the profile into the target's live version with this journey's entry payload.

        The jump's event id is deterministic, so a retried jump is dropped as a duplicate by
        a target run that already has it."""
        row = await self.pool.fetchrow(q("live_journey"), inp.target)
        if row is None or row["status"] != "live" or row["live_version"] is None:
            return JumpResult(ok=False, error=f"journey {inp.target!r} is not live")
        src = inp.entry_event
        event = Event(
            event_id=inp.jump_id,
            name=src.name,
            profile_id=inp.profile_id,
            timestamp=src.timestamp,
            properties={**src.properties, "jumped_from": inp.from_journey},
        )
        definition = await self.pool.fetchval(
            q("journey_version_definition"), inp.target, row["live_version"]
        )
        try:  # a keyed target takes the key from the entry event's properties, as routed
            key = entry_key(JourneyDefinition.model_validate(definition), event)
        except KeyMissing as exc:
            return JumpResult(ok=False, error=f"journey {inp.target!r} is keyed: {exc.message}")
        await enter_journey(
            self.client,
            self.task_queue,
            journey_id=inp.target,
            version=row["live_version"],
            name=row["name"],
            event=event,
            key=key,
        )
        return JumpResult(ok=True)
