"""Event ingest: the outbox. An answer means the events are committed (architecture decision 8).

A timestamp outside 2000-01-01 .. a day after the server's clock is refused naming it
(journeys/event_time.py); the clock is read here, once per request.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends

from api.deps import EventsWriter, JsonBody, PoolDep, SettingsDep, bulk_ingest
from api.errors import FieldError, field, invalid
from api.schemas.common import BULK_ERRORS, ERRORS
from api.schemas.events import BatchAccepted, EventAccepted, EventBatchCreate, EventCreate
from core.metrics import count_refused
from journeys.event_time import timestamp_problem
from services.events import store

router = APIRouter(prefix="/events", tags=["events"], dependencies=[JsonBody], responses=ERRORS)


def timestamp_errors(events: Sequence[EventCreate], paths: Sequence[str]) -> list[FieldError]:
    """The refused timestamps of `events`, each named by its path in `paths`."""
    now = datetime.now(UTC)
    problems = (
        (path, timestamp_problem(e.timestamp, now)) for e, path in zip(events, paths, strict=True)
    )
    return [field(path, problem) for path, problem in problems if problem is not None]


def check_timestamps(events: Sequence[EventCreate], paths: Sequence[str]) -> None:
    """422 naming every refused timestamp; the request's events count as refused, as do
    those refused by validation (api/app.py)."""
    errors = timestamp_errors(events, paths)
    if errors:
        count_refused(e.name for e in events)
        raise invalid(errors)


@router.post("", status_code=202)
async def send_event(body: EventCreate, pool: PoolDep, _: EventsWriter) -> EventAccepted:
    """Record one event; a repeated event_id is acknowledged as a duplicate."""
    check_timestamps([body], ["timestamp"])
    ids, new = await store(pool, [body])
    return EventAccepted(event_id=ids[0], duplicate=ids[0] not in new)


@router.post("/batch", status_code=202, responses=BULK_ERRORS)
async def send_events(
    body: EventBatchCreate,
    pool: PoolDep,
    settings: SettingsDep,
    _: EventsWriter,
    __: Annotated[None, Depends(bulk_ingest("events_batch"))],
) -> BatchAccepted:
    """Record a batch atomically: all events are stored, or none when one is invalid.

    Refused with 429 and `Retry-After`, storing nothing, while too many events wait to be
    routed (backpressure); a single `POST /v1/events` never is."""
    if len(body.events) > settings.max_batch_events:
        count_refused(e.name for e in body.events)
        raise invalid([field("events", f"at most {settings.max_batch_events} events per batch")])
    check_timestamps(body.events, [f"events[{i}].timestamp" for i in range(len(body.events))])
    ids, new = await store(pool, body.events)
    return BatchAccepted(accepted=len(new), duplicates=len(ids) - len(new), event_ids=ids)
