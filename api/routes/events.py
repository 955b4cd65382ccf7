"""Event ingest: the outbox. An answer means the events are committed (DESIGN.md decision 8)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import asyncpg
from fastapi import APIRouter

from api.deps import EventsWriter, JsonBody, PoolDep, SettingsDep
from api.errors import field, invalid
from api.schemas.common import ERRORS
from api.schemas.events import BatchAccepted, EventAccepted, EventBatchCreate, EventCreate
from core.metrics import count_ingested, count_refused
from core.telemetry import current_traceparent
from db.sql import q

router = APIRouter(prefix="/events", tags=["events"], dependencies=[JsonBody], responses=ERRORS)


async def store(pool: asyncpg.Pool, events: Sequence[EventCreate]) -> tuple[list[str], set[str]]:
    """Insert and notify in one transaction; returns every id and the ids that were new."""
    now = datetime.now(UTC)
    ids = [e.event_id or str(uuid.uuid4()) for e in events]
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(
            q("insert_events"),
            ids,
            [e.name for e in events],
            [e.profile_id for e in events],
            [e.timestamp or now for e in events],
            [e.properties for e in events],
        )
        if rows:
            if traceparent := current_traceparent():
                await conn.execute(
                    q("set_event_traceparent"), [r["event_id"] for r in rows], traceparent
                )
            await conn.execute(q("notify_events"))
    new = {r["event_id"] for r in rows}
    count_ingested([e.name for e in events], ids, new)
    return ids, new


@router.post("", status_code=202)
async def send_event(body: EventCreate, pool: PoolDep, _: EventsWriter) -> EventAccepted:
    """Record one event; a repeated event_id is acknowledged as a duplicate."""
    ids, new = await store(pool, [body])
    return EventAccepted(event_id=ids[0], duplicate=ids[0] not in new)


@router.post("/batch", status_code=202)
async def send_events(
    body: EventBatchCreate, pool: PoolDep, settings: SettingsDep, _: EventsWriter
) -> BatchAccepted:
    """Record a batch atomically: all events are stored, or none when one is invalid."""
    if len(body.events) > settings.max_batch_events:
        count_refused(e.name for e in body.events)
        raise invalid([field("events", f"at most {settings.max_batch_events} events per batch")])
    ids, new = await store(pool, body.events)
    return BatchAccepted(accepted=len(new), duplicates=len(ids) - len(new), event_ids=ids)
