"""Journey approval: a journey may require a second user to approve its draft before publish.

The same model as campaigns (`services/campaigns.py` approve): a key with
`journeys:approve`, neither the one that last changed the draft nor the one that asked,
approves the draft as it is; any change to the draft withdraws the request and the
approval (the `put_journey_draft` query says so). Publishing checks `may_publish`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

import asyncpg

from db.sql import q
from db.types import Executor
from services.errors import Conflict, Forbidden, found

State = Literal["none", "requested", "approved"]


def state(row: asyncpg.Record) -> State:
    """Where the current draft stands; an approval of an older draft counts for nothing."""
    current = row["approval_draft_at"] is not None and (
        row["approval_draft_at"] == row["draft_updated_at"]
    )
    if current and row["approved_by"] is not None:
        return "approved"
    if current and row["approval_requested_by"] is not None:
        return "requested"
    return "none"


def may_publish(journey_id: str, row: asyncpg.Record) -> None:
    """Refuses publishing a draft that needs an approval it does not have."""
    if row["requires_approval"] and state(row) != "approved":
        raise Conflict(
            f"journey {journey_id!r} awaits approval: its current draft is not approved "
            "(a key with journeys:approve calls POST /v1/journeys/{id}/approve)"
        )


async def read(conn: Executor, journey_id: str) -> asyncpg.Record:
    """The approval columns and the names of the keys in them."""
    row = await conn.fetchrow(q("read_journey_approval"), journey_id)
    return found(row, f"journey {journey_id!r}")


async def set_policy(pool: asyncpg.Pool, journey_id: str, required: bool) -> None:
    """Require (or stop requiring) an approval before publish; the approval state stays."""
    done = await pool.fetchval(q("set_journey_approval_policy"), journey_id, required)
    found(done, f"journey {journey_id!r}")


async def _approvable(conn: Executor, journey_id: str) -> asyncpg.Record:
    """The locked journey, when it has a draft that needs approving."""
    row = found(await conn.fetchrow(q("lock_journey"), journey_id), f"journey {journey_id!r}")
    if row["draft"] is None:
        raise Conflict(f"journey {journey_id!r} has no draft to approve")
    if not row["requires_approval"]:
        raise Conflict(
            f"journey {journey_id!r} does not require approval "
            "(PUT /v1/journeys/{id}/approval-policy)"
        )
    return row


async def request(pool: asyncpg.Pool, journey_id: str, key_id: uuid.UUID) -> None:
    """Ask for the current draft to be approved; asking again makes this key the asker."""
    async with pool.acquire() as conn, conn.transaction():
        row = await _approvable(conn, journey_id)
        if state(row) == "approved":
            raise Conflict(f"the current draft of journey {journey_id!r} is approved already")
        await conn.execute(
            q("request_journey_approval"), journey_id, key_id, row["draft_updated_at"]
        )


def _four_eyes(row: asyncpg.Record, key_id: uuid.UUID) -> None:
    if row["draft_updated_by"] == key_id:
        raise Forbidden("a second user must approve: this key made the last change to the draft")
    if state(row) == "requested" and row["approval_requested_by"] == key_id:
        raise Forbidden("a second user must approve: this key asked for the approval")


async def approve(
    pool: asyncpg.Pool, journey_id: str, key_id: uuid.UUID, seen: datetime | None
) -> None:
    """Approve the draft as it is now (`seen`: the `draft_updated_at` the approver read)."""
    async with pool.acquire() as conn, conn.transaction():
        row = await _approvable(conn, journey_id)
        _four_eyes(row, key_id)
        if seen is not None and seen != row["draft_updated_at"]:
            raise Conflict(
                f"the draft of journey {journey_id!r} changed since it was read "
                f"(it was written at {row['draft_updated_at'].isoformat()}): read it again"
            )
        if state(row) != "approved":
            await conn.execute(q("approve_journey"), journey_id, key_id, row["draft_updated_at"])
