"""LISTEN connections of the supervised loops, and how a loop notices one has died.

A LISTEN connection whose server went away delivers no notification and raises nothing:
the loop would wait for a wake-up that never comes. Each loop therefore asks its
connection a trivial question whenever its sweep timer fires; if that fails, the tick
fails and the supervisor (workers/supervisor.py) reopens the connection after a backoff.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping

import asyncpg

CONNECT_TIMEOUT_SECONDS = 10.0
PROBE_TIMEOUT_SECONDS = 10.0


async def listen(database_url: str, wakes: Mapping[str, Callable[[], None]]) -> asyncpg.Connection:
    """A connection of its own, listening on each channel; a notification calls its wake."""
    conn = await asyncpg.connect(database_url, timeout=CONNECT_TIMEOUT_SECONDS)
    try:
        for channel, wake in wakes.items():
            await conn.add_listener(channel, _callback(wake))
    except BaseException:  # cancelled half-way: a graceful close would race the LISTEN
        conn.terminate()
        raise
    return conn


def _callback(wake: Callable[[], None]) -> Callable[..., None]:
    return lambda *_: wake()


async def probe(conn: asyncpg.Connection | None) -> None:
    """Raises if the LISTEN connection is closed or does not answer."""
    if conn is None or conn.is_closed():
        raise ConnectionError("the LISTEN connection is closed")
    await conn.execute("SELECT 1", timeout=PROBE_TIMEOUT_SECONDS)


async def close_quietly(conn: asyncpg.Connection | None) -> None:
    """Close a connection that may be broken already (the server is down)."""
    if conn is not None:
        with contextlib.suppress(Exception):
            await conn.close(timeout=5)
