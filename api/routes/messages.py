"""The message ledger: what was sent (or not) to whom, newest first."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from api.deps import PoolDep, Reader
from api.errors import field, invalid
from api.schemas.common import ERRORS, BeforeCursor
from api.schemas.messages import MessagePage, MessagePublic
from db.sql import q

MessageStatus = Literal["pending", "sending", "sent", "failed", "skipped", "deferred", "dry_run"]

router = APIRouter(prefix="/messages", tags=["messages"], responses=ERRORS)


def encode_cursor(created_at: datetime, message_id: str) -> str:
    raw = f"{created_at.isoformat()}|{message_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, message_id = raw.split("|", 1)
        when = datetime.fromisoformat(stamp)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise invalid([field("before", "not a cursor returned as next_before")]) from None
    if when.tzinfo is None:
        raise invalid([field("before", "not a cursor returned as next_before")])
    return when, message_id


@router.get("")
async def list_messages(
    pool: PoolDep,
    _: Reader,
    profile_id: str | None = None,
    journey_id: str | None = None,
    campaign_id: Annotated[str | None, Query(max_length=200)] = None,
    channel: Annotated[str | None, Query(max_length=64)] = None,
    status: MessageStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    before: BeforeCursor = None,
) -> MessagePage:
    """List messages, newest first, filtered by profile, journey, campaign, channel and status."""
    when, after_id = decode_cursor(before) if before else (None, None)
    rows = await pool.fetch(
        q("list_messages"),
        profile_id,
        journey_id,
        when,
        after_id,
        limit + 1,
        campaign_id,
        channel,
        status,
    )
    page = [MessagePublic(**dict(r)) for r in rows[:limit]]
    last = page[-1] if len(rows) > limit else None
    cursor = encode_cursor(last.created_at, last.message_id) if last else None
    return MessagePage(items=page, count=len(page), next_before=cursor)
