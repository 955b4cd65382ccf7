"""Definitions kept by name (templates, custom actions, data sources): save, read, delete.

The three differ only in their queries, in whether live journeys may still name one
(then it cannot be deleted) and in whether workers are told of a change; one code keeps
them consistent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

from db.sql import q
from db.types import Executor
from services.errors import Conflict, NotFound, found


@dataclass(frozen=True)
class Kind:
    """One kind of named definition: what it is called in messages, and its queries."""

    what: str
    put: str
    read: str
    list: str
    delete: str
    users: str | None = None  # the live journeys naming one; none: deletion is not checked
    notify: str | None = None  # tells workers a definition changed (they cache specs)
    forget: str | None = None  # clears what a deleted one recorded (the fragments it used)


ACTION = Kind(
    "action",
    "put_action",
    "read_action",
    "list_actions",
    "delete_action",
    users="live_journeys_using_action",
    notify="notify_actions",
)
DATA_SOURCE = Kind(
    "data source", "put_data_source", "read_data_source", "list_data_sources", "delete_data_source"
)
TEMPLATE = Kind(
    "template",
    "put_template",
    "read_template",
    "list_templates",
    "delete_template",
    users="live_journeys_using_template",
    forget="forget_template_uses",
)


async def put(
    pool: asyncpg.Pool, kind: Kind, name: str, *values: Any
) -> tuple[dict[str, Any], bool]:
    """Create or replace; the saved row, and whether it was created."""
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(q(kind.put), name, *values)
        await _notify(conn, kind, name)
    assert row is not None
    saved = dict(row)
    return saved, saved.pop("created")


async def read(pool: Executor, kind: Kind, name: str) -> asyncpg.Record:
    return found(await pool.fetchrow(q(kind.read), name), f"{kind.what} {name!r}")


async def list_all(pool: Executor, kind: Kind) -> list[asyncpg.Record]:
    """Every definition of the kind, by name."""
    return list(await pool.fetch(q(kind.list)))


async def delete(pool: asyncpg.Pool, kind: Kind, name: str) -> None:
    """Delete one no live journey version names."""
    async with pool.acquire() as conn, conn.transaction():
        if kind.users is not None:
            users = [r["journey_id"] for r in await conn.fetch(q(kind.users), name)]
            if users:
                raise Conflict(f"{kind.what} {name!r} is used by live journeys: {', '.join(users)}")
        if await conn.fetchval(q(kind.delete), name) is None:
            raise NotFound(f"{kind.what} {name!r}")
        if kind.forget is not None:
            await conn.execute(q(kind.forget), name)
        await _notify(conn, kind, name)


async def _notify(conn: Executor, kind: Kind, name: str) -> None:
    if kind.notify is not None:
        await conn.execute(q(kind.notify), name)
