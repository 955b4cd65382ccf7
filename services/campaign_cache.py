"""A one-second memory of campaign rows for `POST …/trigger`.

A triggered campaign is looked up on every request, the same row a hundred times a
second. Edits made through this process drop the entry at once; another API process
sees them within `ttl` seconds (a request accepted in that second uses the previous
definition, as if it had arrived just before the edit).
"""

from __future__ import annotations

import time

import asyncpg

from db.sql import q
from db.types import Executor

_MAX = 1_000


class CampaignCache:
    def __init__(self, ttl: float = 1.0) -> None:
        self.ttl = ttl
        self._rows: dict[str, tuple[float, asyncpg.Record]] = {}

    async def get(self, conn: Executor, campaign_id: str) -> asyncpg.Record | None:
        now = time.monotonic()
        hit = self._rows.get(campaign_id)
        if hit is not None and hit[0] > now:
            return hit[1]
        row = await conn.fetchrow(q("get_campaign"), campaign_id)
        if row is None:  # unknown ids are not kept: guessing cannot fill memory
            self._rows.pop(campaign_id, None)
            return None
        if len(self._rows) >= _MAX:
            self._rows.clear()
        self._rows[campaign_id] = (now + self.ttl, row)
        return row

    def forget(self, campaign_id: str) -> None:
        self._rows.pop(campaign_id, None)


CAMPAIGNS = CampaignCache()
"""The API process's cache (routes and tests share it)."""
