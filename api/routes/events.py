"""Event ingest: the outbox. An answer means the events are committed (architecture decision 8)."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import EventsWriter, JsonBody, PoolDep, SettingsDep
from api.errors import field, invalid
from api.schemas.common import ERRORS
from api.schemas.events import BatchAccepted, EventAccepted, EventBatchCreate, EventCreate
from core.metrics import count_refused
from services.events import store

router = APIRouter(prefix="/events", tags=["events"], dependencies=[JsonBody], responses=ERRORS)


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
