"""The asyncpg pool with JSON codecs, shared by the API, router and activities."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from asyncpg.pool import PoolConnectionProxy

log = logging.getLogger(__name__)


async def _init_connection(conn: asyncpg.Connection) -> None:
    for typ in ("json", "jsonb"):
        await conn.set_type_codec(typ, encoder=_dumps, decoder=json.loads, schema="pg_catalog")


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), default=str)


async def _nothing_to_reset(conn: asyncpg.Connection) -> None:
    """A released connection carries no session state to clear: asyncpg itself still rolls
    back an open transaction. Its default reset (advisory unlock, CLOSE ALL, UNLISTEN, RESET
    ALL) was one more round trip on every acquire (3% of the API's CPU per decision);
    tests/unit/test_session_state.py keeps session-level statements off pooled connections."""


async def create_pool(dsn: str, *, min_size: int = 2, max_size: int = 20) -> asyncpg.Pool:
    """One pool per process; JSON columns come back as Python objects."""
    pool = await asyncpg.create_pool(
        dsn, min_size=min_size, max_size=max_size, init=_init_connection, reset=_nothing_to_reset
    )
    assert pool is not None
    return pool


@asynccontextmanager
async def acquired(pool: asyncpg.Pool) -> AsyncIterator[PoolConnectionProxy]:
    """A pooled connection whose release cannot fail a caller that has committed.

    asyncpg resets a connection on release and re-raises when that fails (the server went
    away just after the COMMIT); the connection is terminated already, and what the block
    committed is stored, so the caller must still be able to acknowledge it."""
    conn = await pool.acquire()
    try:
        yield conn
    finally:
        try:
            await pool.release(conn)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("a connection failed its reset on release (%s); it is closed", exc)
