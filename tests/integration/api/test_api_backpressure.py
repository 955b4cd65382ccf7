"""Backpressure (issue 18.5): past the outbox's bound, bulk ingest gets 429 + Retry-After and
stores nothing; single events still go in; everything acknowledged is routed afterwards.

Over a database of its own, so no running dispatcher drains the backlog the test builds, and
the session's events cannot push this app over its bound.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
from prometheus_client import REGISTRY
from temporalio.client import Client

from api.app import create_app
from api.keys import ensure_bootstrap_key
from core.settings import Settings
from db.migrate import migrate_url
from db.pool import create_pool
from services.backpressure import READING_TTL_SECONDS
from tests.conftest import ADMIN_KEY
from tests.integration.helpers import uid
from workers.dispatcher import Dispatcher
from workers.router import Router

pytestmark = pytest.mark.integration

BOUND = 5
AUTH = {"Authorization": f"Bearer {ADMIN_KEY}"}


@pytest.fixture(scope="module")
async def own(settings: Settings, migrated: None) -> AsyncIterator[tuple[Settings, asyncpg.Pool]]:
    dsn = f"{settings.database_url.rsplit('/', 1)[0]}/bp{uuid.uuid4().hex[:8]}"
    await migrate_url(dsn, create=True)
    mine = settings.model_copy(
        update={"database_url": dsn, "backpressure_backlog": BOUND, "task_queue": uid("bp")}
    )
    pool = await create_pool(dsn)
    await ensure_bootstrap_key(pool, mine)
    yield mine, pool
    await pool.close()


@pytest.fixture
async def api(own: tuple[Settings, asyncpg.Pool]) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(own[0])
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://wayline") as client:
            yield client


def batch(n: int) -> dict[str, Any]:
    profile = uid("p")
    return {
        "events": [
            {"event_id": uid("e"), "name": "page.viewed", "profile_id": profile} for _ in range(n)
        ]
    }


def throttled(route: str) -> float:
    labels = {"route": route, "cause": "backlog"}
    return REGISTRY.get_sample_value("wayline_ingest_throttled_total", labels) or 0.0


async def next_reading() -> None:
    """The API reads the outbox at most once per READING_TTL_SECONDS: let that pass."""
    await asyncio.sleep(READING_TTL_SECONDS + 0.1)


async def test_bulk_ingest_is_refused_past_the_bound_and_nothing_acknowledged_is_lost(
    api: httpx.AsyncClient, own: tuple[Settings, asyncpg.Pool], temporal_client: Client
) -> None:
    settings, pool = own
    accepted: list[str] = []
    for size in (BOUND, 3):  # 0 then 5 pending when read: neither passes the bound
        r = await api.post("/v1/events/batch", json=batch(size), headers=AUTH)
        assert r.status_code == 202, r.text
        accepted += r.json()["event_ids"]
        await next_reading()

    refused = batch(2)
    before = throttled("events_batch")
    r = await api.post("/v1/events/batch", json=refused, headers=AUTH)
    assert r.status_code == 429, r.text
    assert r.headers["retry-after"] == "10"
    assert r.json() == {
        "error": "too_many_requests",
        "message": "more than 5 events wait to be routed; retry later",
        "fields": [],
    }
    assert throttled("events_batch") == before + 1
    ids = [e["event_id"] for e in refused["events"]]
    stored = "SELECT count(*) FROM events WHERE event_id = ANY($1::text[])"
    assert await pool.fetchval(stored, ids) == 0, "a refused batch stores nothing"

    segment = {"batch": [{"type": "track", "event": "page.viewed", "userId": uid("s")}]}
    r = await api.post("/v1/segment/batch", json=segment, headers=AUTH)
    assert r.status_code == 429 and r.headers["retry-after"] == "10", r.text

    single = {"event_id": uid("e"), "name": "password.reset", "profile_id": uid("p")}
    r = await api.post("/v1/events", json=single, headers=AUTH)
    assert r.status_code == 202, "a single transactional event is never refused"
    accepted.append(single["event_id"])

    gauge = REGISTRY.get_sample_value("wayline_outbox_backlog")
    assert gauge == BOUND + 1, "counted only as far as deciding needs: one past the bound"

    dispatcher = Dispatcher(pool, Router(temporal_client, settings.task_queue), settings)
    while await dispatcher.dispatch_once():
        pass
    routed = "SELECT count(*) FROM events WHERE event_id = ANY($1) AND dispatched_at IS NOT NULL"
    assert await pool.fetchval(routed, accepted) == len(accepted) == BOUND + 3 + 1

    await next_reading()
    r = await api.post("/v1/events/batch", json=refused, headers=AUTH)
    assert r.status_code == 202, "once routing caught up, the retried batch goes in"
