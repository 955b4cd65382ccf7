"""While PostgreSQL or Temporal is unreachable the API answers 503 JSON with Retry-After.

The apps here point at loopback ports nothing listens on; their state is set by hand, as
their lifespan would refuse to start without a database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from api.app import create_app
from api.errors import outage_of
from api.schemas.events import EventCreate
from core.settings import Settings
from db.pool import _init_connection, create_pool
from services.events import store
from tests.integration.helpers import uid
from workers.embedded import free_port

pytestmark = pytest.mark.integration


def _down(settings: Settings, **changes: str) -> Settings:
    return settings.model_copy(update=changes)


async def _client(app: FastAPI) -> httpx.AsyncClient:
    # raise_app_exceptions=False: an unhandled error is seen as the 500 a server answers.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://wayline")


@pytest.fixture
async def no_database(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The API with PostgreSQL and Temporal both on closed loopback ports."""
    down = _down(
        settings,
        database_url=f"postgresql://postgres@127.0.0.1:{free_port()}/wayline",
        temporal_address=f"127.0.0.1:{free_port()}",
    )
    app = create_app(down)
    app.state.pool = await create_pool(down.database_url, min_size=0)
    app.state.temporal = await Client.connect(down.temporal_address, lazy=True)
    try:
        async with await _client(app) as client:
            yield client
    finally:
        await app.state.pool.close()


@pytest.fixture
async def no_temporal(settings: Settings, pool: asyncpg.Pool) -> AsyncIterator[httpx.AsyncClient]:
    """The API with the session's PostgreSQL and Temporal on a closed loopback port."""
    down = _down(settings, temporal_address=f"127.0.0.1:{free_port()}")
    app = create_app(down)
    app.state.pool = pool
    app.state.temporal = await Client.connect(down.temporal_address, lazy=True)
    async with await _client(app) as client:
        yield client


def _unavailable(resp: httpx.Response) -> dict[str, Any]:
    assert resp.status_code == 503, resp.text
    assert resp.headers["content-type"] == "application/json"
    assert resp.headers["retry-after"] == "5"
    body: dict[str, Any] = resp.json()
    assert set(body) == {"error", "message", "fields"}
    assert body["error"] == "unavailable" and body["fields"] == []
    return body


async def test_event_post_without_database_is_503(
    no_database: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    event = {"name": "outage.tried", "profile_id": uid("p")}
    resp = await no_database.post("/v1/events", json=event, headers=admin_headers)
    body = _unavailable(resp)
    assert body["message"] == (
        "the database is unreachable; the request was not acknowledged, retry it later"
    )
    batch = {"events": [event]}
    _unavailable(await no_database.post("/v1/events/batch", json=batch, headers=admin_headers))


async def test_segment_batch_without_database_is_503(
    no_database: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    batch = {"batch": [{"type": "track", "userId": uid("p"), "event": "outage.tried"}]}
    for path in ("/v1/segment/batch", "/v1/segment/v1/batch"):
        _unavailable(await no_database.post(path, json=batch, headers=admin_headers))


async def test_temporal_route_without_temporal_is_503_and_keeps_the_audience(
    no_temporal: httpx.AsyncClient, api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    aid = uid("aud-outage")
    rule = {"attribute": "plan", "op": "eq", "value": "gold"}
    created = await api_client.post(
        "/v1/audiences",
        json={"audience_id": aid, "name": aid, "definition": rule},
        headers=admin_headers,
    )
    assert created.status_code == 201, created.text
    body = _unavailable(await no_temporal.delete(f"/v1/audiences/{aid}", headers=admin_headers))
    assert body["message"].startswith("Temporal is unreachable")
    # Refused, so not done: the audience is still there.
    assert (await api_client.get(f"/v1/audiences/{aid}", headers=admin_headers)).status_code == 200


async def test_event_committed_is_acknowledged_when_the_release_fails(
    settings: Settings, pool: asyncpg.Pool
) -> None:
    """The server going away between COMMIT and the pool's reset must not turn a stored
    event into an error answer (the client would resend an event already stored)."""

    async def dying_reset(conn: asyncpg.Connection) -> None:
        await conn.execute("SELECT pg_terminate_backend(pg_backend_pid())")

    dying = await asyncpg.create_pool(
        settings.database_url, min_size=1, max_size=1, init=_init_connection, reset=dying_reset
    )
    assert dying is not None
    event_id = uid("ev-outage")
    try:
        ids, new = await store(dying, [EventCreate(event_id=event_id, name="n", profile_id="p")])
    finally:
        await dying.close()
    assert ids == [event_id] and new == {event_id}
    assert await pool.fetchval("SELECT count(*) FROM events WHERE event_id = $1", event_id) == 1


async def test_openapi_documents_the_503(api_client: httpx.AsyncClient) -> None:
    doc = (await api_client.get("/openapi.json")).json()
    for path in ("/v1/events", "/v1/segment/batch"):
        answer = doc["paths"][path]["post"]["responses"]["503"]
        assert answer["headers"]["Retry-After"]["schema"] == {"type": "integer"}
        assert answer["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ErrorPublic"
        }


def test_only_network_and_server_errors_are_outages() -> None:
    assert outage_of(ConnectionRefusedError(111, "refused")) == "the database"
    assert outage_of(TimeoutError()) == "the database"  # a pool acquire timing out
    assert outage_of(OSError("Multiple exceptions: ...")) == "the database"
    assert outage_of(asyncpg.exceptions.TooManyConnectionsError("")) == "the database"
    assert outage_of(RPCError("down", RPCStatusCode.UNAVAILABLE, b"")) == "Temporal"
    assert outage_of(RPCError("no", RPCStatusCode.NOT_FOUND, b"")) is None
    assert outage_of(FileNotFoundError(2, "missing")) is None
    assert outage_of(RuntimeError("a bug")) is None
