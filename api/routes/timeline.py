"""What happened to a profile, in time order, and erasing it (right to be forgotten)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Query

from api.deps import PoolDep, ProfilesWriter, Reader, TemporalDep
from api.errors import ApiError, field, invalid, not_found
from api.schemas.common import CURSOR_PATTERN, ERRORS, ProfileIdPath
from api.schemas.timeline import (
    TIMELINE_KINDS,
    ErasurePublic,
    TimelineItem,
    TimelineKind,
    TimelinePage,
)
from db.sql import q
from services.entities import timeline_items as entity_timeline
from services.erasure import JourneysStillRunning, MergedElsewhere, erase

router = APIRouter(prefix="/profiles", tags=["profiles"], responses=ERRORS)

Position = tuple[datetime, str, str]
_START: Position = (datetime.min.replace(tzinfo=UTC), "", "")


def encode_cursor(at: datetime, kind: str, key: str) -> str:
    raw = json.dumps([at.isoformat(), kind, key], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str, str]:
    """The position after which a page starts; ValueError when it is not one of ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        at, kind, key = json.loads(base64.urlsafe_b64decode(padded.encode()))
        when = datetime.fromisoformat(at)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise ValueError("not a cursor returned by this endpoint") from None
    if when.tzinfo is None or not isinstance(kind, str) or not isinstance(key, str):
        raise ValueError("not a cursor returned by this endpoint")
    return when, kind, key


async def timeline_rows(
    pool: asyncpg.Pool, profile_id: str, kinds: list[str], after: Position, limit: int
) -> list[Mapping[str, Any]]:
    """The stored kinds and the entity records merged in (at, kind, key) order."""
    rows: list[Mapping[str, Any]] = [
        dict(r) for r in await pool.fetch(q("profile_timeline"), profile_id, kinds, *after, limit)
    ]
    if "entity" in kinds:
        rows += await entity_timeline(pool, [profile_id], after, limit)
    return sorted(rows, key=lambda r: (r["at"], r["kind"], r["key"]))[:limit]


@router.get("/{profile_id}/timeline")
async def get_timeline(
    profile_id: ProfileIdPath,
    pool: PoolDep,
    _: Reader,
    kind: Annotated[
        list[TimelineKind] | None,
        Query(description="Only these kinds (repeat the parameter); default every kind"),
    ] = None,
    cursor: Annotated[str | None, Query(pattern=CURSOR_PATTERN, max_length=1000)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> TimelinePage:
    """Events, journey entries and exits, messages, audience changes and entity records
    related to the profile (at their last write), oldest first."""
    try:
        after = decode_cursor(cursor) if cursor else _START
    except ValueError as exc:
        raise invalid([field("cursor", str(exc))]) from None
    kinds: list[str] = list(kind) if kind else list(TIMELINE_KINDS)
    rows = await timeline_rows(pool, profile_id, kinds, after, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    if not rows and cursor is None and not await pool.fetchval(q("profile_exists"), profile_id):
        raise not_found(f"profile {profile_id!r}")
    items = [TimelineItem(at=r["at"], kind=r["kind"], data=r["data"]) for r in rows]
    last = rows[-1] if rows else None
    next_cursor = encode_cursor(last["at"], last["kind"], last["key"]) if more and last else None
    return TimelinePage(items=items, count=len(items), next_cursor=next_cursor)


@router.delete("/{profile_id}")
async def erase_profile(
    profile_id: ProfileIdPath,
    pool: PoolDep,
    temporal: TemporalDep,
    principal: ProfilesWriter,
) -> ErasurePublic:
    """Erase the profile: its data goes, its journeys end, the message ledger keeps tombstones.

    The suppression list is kept (it is the address-based record of who must not be
    contacted). The erasure is recorded without personal data.
    """
    try:
        done = await erase(
            pool, temporal, profile_id, key_id=principal.key_id, key_name=principal.name
        )
    except MergedElsewhere as exc:
        raise ApiError(
            409,
            f"profile {profile_id!r} was merged into {exc.profile_id!r}; erase that profile",
        ) from None
    except JourneysStillRunning as exc:
        raise ApiError(
            503, f"could not end the profile's running journeys, nothing was erased: {exc}"
        ) from None
    if done is None:
        raise not_found(f"profile {profile_id!r}")
    return ErasurePublic(profile_id=profile_id, erasure_id=done.erasure_id, counts=done.counts)
