"""Shared set-up for integration tests that drive workflows below the HTTP API."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import asyncpg

from core.contracts import SendInput
from journeys.model import Event

T = TypeVar("T")


async def publish(pool: asyncpg.Pool, defn: dict[str, Any], tpl: str, channel: str = "log") -> None:
    """Version 1 of `defn`, live, and a template named `tpl`, written straight to the tables."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "INSERT INTO templates (name, channel, body) VALUES ($1, $2, "
            "'Hello {{ profile.profile_id }}') ON CONFLICT DO NOTHING",
            tpl,
            channel,
        )
        await conn.execute(
            "INSERT INTO journeys (journey_id, name, status, live_version) "
            "VALUES ($1, $1, 'live', 1)",
            defn["id"],
        )
        await conn.execute(
            "INSERT INTO journey_versions (journey_id, version, definition) VALUES ($1, 1, $2)",
            defn["id"],
            defn,
        )


def event(name: str, profile: str, props: dict[str, Any] | None = None) -> Event:
    return Event(
        event_id=uuid.uuid4().hex,
        name=name,
        profile_id=profile,
        timestamp=datetime.now(UTC),
        properties=props or {},
    )


def send_input(
    channel: str, template: str, profile: str, *, journey: str = "j", **properties: Any
) -> SendInput:
    """The send activity's input as a journey node would build it, for calling it directly."""
    now = datetime.now(UTC)
    return SendInput(
        message_id=str(uuid.uuid4()),
        channel=channel,
        template=template,
        profile_id=profile,
        journey={"id": journey, "version": 1, "name": journey.title()},
        node_id="n",
        workflow_id="w",
        entry_event=Event(
            event_id="e", name="go", profile_id=profile, timestamp=now, properties=properties
        ),
        now=now,
    )


def uid(prefix: str) -> str:
    """A name no other test (or earlier run against the same database) has used."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


async def eventually(check: Callable[[], Awaitable[T]], limit: float = 45.0) -> T:
    """Polls an async check until it returns something truthy; the limit only matters when
    a test fails, so it is generous for a loaded 2-core machine."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while True:
        result = await check()
        if result:
            return result
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {limit}s (last: {result!r})")
        await asyncio.sleep(0.2)
