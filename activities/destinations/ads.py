"""An advertising upload's batch: the next page of consenting members, their emails and
phones normalised and hashed (contacts/ad_match.py) in the customer-list shape."""

from __future__ import annotations

from typing import Any

import asyncpg

from contacts.ad_match import customer_list, hashed_row
from core.destinations import DestinationSpec
from db.sql import q


async def page(
    pool: asyncpg.Pool, spec: DestinationSpec, after: str
) -> tuple[dict[str, Any], int, str]:
    """The body of the batch after profile `after`, its member count and its last id."""
    rows = await pool.fetch(
        q("member_rows"), spec.audience, spec.purpose, [], after, True, spec.batch_size
    )
    hashed = [hashed_row(list(spec.identifiers), r["email"], r["phone"]) for r in rows]
    last = rows[-1]["profile_id"] if rows else after
    return customer_list(list(spec.identifiers), hashed), len(rows), last
