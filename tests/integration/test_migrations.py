"""Applying every migration to an empty database yields the committed db/schema.sql."""

from __future__ import annotations

import uuid
from pathlib import Path

import asyncpg
import pytest

from core.settings import Settings
from db.migrate import migrate_url, migrations
from db.schema import dump_schema
from db.sql import names, q

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
