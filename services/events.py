"""The event outbox: an event is acknowledged once committed (architecture decision 8).

Every way in (the events API, Segment calls, SMS callbacks, link tracking) stores here,
so deduplication by `event_id`, the trace link, the dispatcher's wake-up and the counting of
opens and clicks for send-time optimisation (services/engagement.py) are one code.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

import asyncpg

from core.metrics import count_ingested
from core.telemetry import current_traceparent
from db.pool import acquired
from db.sql import q
from services.engagement import goal_events, observe

# An event naming a proposition (`offer.displayed`, `offer.clicked`, a policy's goal) is
# joined to it in the same transaction: counted once, for the caps and the bandit.
OFFER_EVENT_KEY = "proposition_id"


class OutboxEvent(Protocol):
    """What the outbox needs of an event; the API's `EventCreate` is one."""

    @property
    def event_id(self) -> str | None: ...
    @property
    def name(self) -> str: ...
    @property
    def profile_id(self) -> str: ...
    @property
    def timestamp(self) -> datetime | None: ...
    @property
    def properties(self) -> dict[str, Any]: ...


async def store(pool: asyncpg.Pool, events: Sequence[OutboxEvent]) -> tuple[list[str], set[str]]:
    """Insert and notify in one transaction; returns every id and the ids that were new."""
    now = datetime.now(UTC)
    ids = [e.event_id or str(uuid.uuid4()) for e in events]
    names, times = [e.name for e in events], [e.timestamp or now for e in events]
    # `acquired`: once committed, the events are acknowledged even if the release fails.
    async with acquired(pool) as conn, conn.transaction():
        rows = await conn.fetch(
            q("insert_events"),
            ids,
            names,
            [e.profile_id for e in events],
            times,
            [e.properties for e in events],
        )
        if rows:
            stored = {r["event_id"]: r["profile_id"] for r in rows}
            await observe(conn, goal_events(names, times, stored, ids))
            if traceparent := current_traceparent():
                await conn.execute(
                    q("set_event_traceparent"), [r["event_id"] for r in rows], traceparent
                )
            await conn.execute(q("notify_events"))
            if any(OFFER_EVENT_KEY in e.properties for e in events):
                await conn.execute(q("record_offer_events"), [r["event_id"] for r in rows])
    new = {r["event_id"] for r in rows}
    count_ingested(names, ids, new)
    return ids, new
