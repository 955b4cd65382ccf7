"""Event ingest: validation, atomic batches, dedup, and the outbox rows in Postgres."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import asyncpg
import httpx
import pytest

from core.names import NOTIFY_EVENTS
from core.settings import Settings
from tests.integration.helpers import uid

pytestmark = pytest.mark.integration


async def routed_or_queued(pool: asyncpg.Pool, profile_id: str) -> bool:
    """The outbox holds the profile, or a dispatcher running in this session already took it."""
    return bool(
        await pool.fetchval(
            "SELECT EXISTS (SELECT 1 FROM dispatch_queue WHERE profile_id = $1)"
            " OR NOT EXISTS (SELECT 1 FROM events WHERE profile_id = $1 AND dispatched_at IS NULL)",
            profile_id,
        )
    )


async def test_single_event_is_stored_and_queued(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], pool: asyncpg.Pool
) -> None:
    pid = uid("p")
    resp = await api_client.post(
        "/v1/events",
        json={
            "name": "cart.updated",
            "profile_id": pid,
            "properties": {"total": 120.5},
            "timestamp": "2024-05-01T10:00:00+02:00",
        },
        headers=admin_headers,
    )
    assert resp.status_code == 202, resp.text
    body = resp.json()
    assert body["duplicate"] is False
    uuid.UUID(body["event_id"])  # generated
    row = await pool.fetchrow("SELECT * FROM events WHERE event_id = $1", body["event_id"])
    assert row["name"] == "cart.updated" and row["profile_id"] == pid
    assert row["properties"] == {"total": 120.5}
    assert row["ts"] == datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
    assert await routed_or_queued(pool, pid)


async def test_naive_timestamp_is_utc_and_default_is_now(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], pool: asyncpg.Pool
) -> None:
    pid = uid("p")
    before = datetime.now(UTC)
    resp = await api_client.post(
        "/v1/events/batch",
        json={
            "events": [
                {"name": "a", "profile_id": pid, "timestamp": "2024-01-02T03:04:05"},
                {"name": "b", "profile_id": pid},
            ]
        },
        headers=admin_headers,
    )
    assert resp.status_code == 202, resp.text
    ids = resp.json()["event_ids"]
    rows = {
        r["name"]: r
        for r in await pool.fetch(
            "SELECT name, ts, properties FROM events WHERE event_id = ANY($1::text[])", ids
        )
    }
    assert rows["a"]["ts"] == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert before <= rows["b"]["ts"] <= datetime.now(UTC)
    assert rows["b"]["properties"] == {}


async def test_repeated_event_id_is_acknowledged_and_ignored(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], pool: asyncpg.Pool
) -> None:
    pid, eid = uid("p"), uid("e")
    event = {"event_id": eid, "name": "signup", "profile_id": pid, "properties": {"n": 1}}
    first = await api_client.post("/v1/events", json=event, headers=admin_headers)
    again = await api_client.post(
        "/v1/events", json={**event, "properties": {"n": 2}}, headers=admin_headers
    )
    assert first.json() == {"event_id": eid, "duplicate": False}
    assert again.status_code == 202 and again.json() == {"event_id": eid, "duplicate": True}
    rows = await pool.fetch("SELECT properties FROM events WHERE event_id = $1", eid)
    assert [r["properties"] for r in rows] == [{"n": 1}]


async def test_batch_counts_duplicates_inside_and_across_batches(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], pool: asyncpg.Pool
) -> None:
    p1, p2 = uid("p"), uid("p")
    old, new = uid("e"), uid("e")
    await api_client.post(
        "/v1/events", json={"event_id": old, "name": "x", "profile_id": p1}, headers=admin_headers
    )
    resp = await api_client.post(
        "/v1/events/batch",
        json={
            "events": [
                {"event_id": old, "name": "x", "profile_id": p1},
                {"event_id": new, "name": "y", "profile_id": p2},
                {"event_id": new, "name": "y", "profile_id": p2},
                {"name": "z", "profile_id": p2},
            ]
        },
        headers=admin_headers,
    )
    assert resp.status_code == 202, resp.text
    body = resp.json()
    assert body["accepted"] == 2 and body["duplicates"] == 2
    assert body["event_ids"][:3] == [old, new, new]
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM events WHERE profile_id = ANY($1::text[])", [p1, p2]
        )
        == 3
    )
    assert await routed_or_queued(pool, p1) and await routed_or_queued(pool, p2)


async def test_batch_with_invalid_events_stores_nothing(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], pool: asyncpg.Pool
) -> None:
    pid = uid("p")
    events = [{"name": f"ok{i}", "profile_id": pid} for i in range(5)]
    events[1] = {"name": "", "profile_id": pid}
    events[3] = {"name": "x" * 201, "profile_id": pid, "extra": True}
    events[4] = {"name": "ok", "profile_id": pid, "timestamp": "yesterday"}
    resp = await api_client.post("/v1/events/batch", json={"events": events}, headers=admin_headers)
    assert resp.status_code == 422, resp.text
    fields = {f["field"] for f in resp.json()["fields"]}
    assert fields == {"events[1].name", "events[3].name", "events[3].extra", "events[4].timestamp"}
    assert await pool.fetchval("SELECT count(*) FROM events WHERE profile_id = $1", pid) == 0
    assert (
        await pool.fetchval("SELECT count(*) FROM dispatch_queue WHERE profile_id = $1", pid) == 0
    )


async def test_batch_size_bounds(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], settings: Settings
) -> None:
    resp = await api_client.post("/v1/events/batch", json={"events": []}, headers=admin_headers)
    assert resp.status_code == 422 and resp.json()["fields"][0]["field"] == "events"
    too_many = [{"name": "x", "profile_id": "p"}] * (settings.max_batch_events + 1)
    resp = await api_client.post(
        "/v1/events/batch", json={"events": too_many}, headers=admin_headers
    )
    assert resp.status_code == 422, resp.text
    assert resp.json()["fields"] == [
        {"field": "events", "message": f"at most {settings.max_batch_events} events per batch"}
    ]


async def test_ingest_notifies_dispatchers(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], settings: Settings
) -> None:
    conn = await asyncpg.connect(settings.database_url)
    got: asyncio.Queue[str] = asyncio.Queue()
    await conn.add_listener(NOTIFY_EVENTS, lambda *args: got.put_nowait(args[2]))
    try:
        resp = await api_client.post(
            "/v1/events", json={"name": "x", "profile_id": uid("p")}, headers=admin_headers
        )
        assert resp.status_code == 202
        assert await asyncio.wait_for(got.get(), 5) == NOTIFY_EVENTS
    finally:
        await conn.close()
