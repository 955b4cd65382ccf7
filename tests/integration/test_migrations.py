"""Applying every migration to an empty database yields the committed db/schema.sql."""

from __future__ import annotations

import uuid
from pathlib import Path

import asyncpg
import pytest

from core.settings import Settings
from db.migrate import ensure_database, migrate_url, migrations
from db.schema import dump_schema
from db.sql import names, q
from decisions.caps import share

pytestmark = pytest.mark.integration
SCHEMA = Path(__file__).parent.parent.parent / "db" / "schema.sql"


async def test_migrations_yield_committed_schema(settings: Settings, migrated: None) -> None:
    base = settings.database_url.rsplit("/", 1)[0]
    dsn = f"{base}/m{uuid.uuid4().hex[:10]}"
    assert await migrate_url(dsn, create=True) == [m.version for m in migrations()]
    assert await migrate_url(dsn) == [], "a second run applies nothing"
    assert dump_schema(dsn) == SCHEMA.read_text(), "regenerate db/schema.sql (see db/schema.py)"


async def test_every_named_query_prepares(pool: asyncpg.Pool) -> None:
    """Each named query parses against the real schema: a typo fails here, not in production."""
    async with pool.acquire() as conn:
        for name in names():
            await conn.prepare(q(name))


async def test_decision_shards_spread_an_older_total_within_the_shares(settings: Settings) -> None:
    """032 moves a total counted in one row into the 16 shards, each within its share of
    any limit the total had not passed (decisions.caps.share); a profile's row stays."""
    base = settings.database_url.rsplit("/", 1)[0]
    dsn = f"{base}/m{uuid.uuid4().hex[:10]}"
    await ensure_database(dsn)
    conn = await asyncpg.connect(dsn)
    try:
        shipped = migrations()
        for mig in (m for m in shipped if m.version < 32):
            await conn.execute(mig.sql)
        await conn.execute(
            "INSERT INTO offer_counters (offer_id, scope, window_start, count)"
            " VALUES ('o', '', 0, 37), ('o', 'p1', 0, 2)"
        )
        await conn.execute(next(m for m in shipped if m.version == 32).sql)
        rows = await conn.fetch(
            "SELECT scope, shard, count FROM offer_counters ORDER BY scope, shard"
        )
    finally:
        await conn.close()
    assert [(r["scope"], r["shard"], r["count"]) for r in rows] == [
        *[("", s, 3) for s in range(5)],
        *[("", s, 2) for s in range(5, 16)],
        ("p1", 0, 2),
    ]
    assert all(r["count"] <= share(37, r["shard"]) for r in rows if r["scope"] == "")
