"""The API in-process over the session's real servers, and clients authenticated for it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from api.app import create_app
from api.keys import ADMIN, ensure_bootstrap_key, hash_key, insert_key
from core.settings import Settings
from tests.conftest import ADMIN_KEY
from workers.embedded import free_port
from workers.worker import Runtime, running

KeyMaker = Callable[..., Awaitable[dict[str, str]]]


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture(scope="session")
async def app(settings: Settings, pool: asyncpg.Pool) -> AsyncIterator[FastAPI]:
    """The API with its lifespan running; ADMIN_KEY is a valid admin key."""
    created = await ensure_bootstrap_key(pool, settings)
    # When keys existed already (another fixture made some), make sure ours is one of them.
    ours = "SELECT 1 FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL"
    if created is None and not await pool.fetchval(ours, hash_key(ADMIN_KEY)):
        await insert_key(pool, name="tests-admin", scopes=[ADMIN], value=ADMIN_KEY)
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture(scope="session")
async def api_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://wayline") as client:
        yield client


@pytest.fixture(scope="module")
async def api_url(app: FastAPI) -> AsyncIterator[str]:
    """The session's app served by uvicorn on a free loopback port, for clients that are
    processes or libraries of their own (the CLI, the Segment client)."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "uvicorn did not start"
        await asyncio.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


@pytest.fixture(scope="session")
def admin_headers() -> dict[str, str]:
    return bearer(ADMIN_KEY)


@pytest.fixture
def make_key(api_client: httpx.AsyncClient, admin_headers: dict[str, str]) -> KeyMaker:
    """Creates a key with the given scopes through the API; returns its auth headers."""

    async def make(*scopes: str, name: str = "test") -> dict[str, str]:
        resp = await api_client.post(
            "/v1/api-keys", json={"name": name, "scopes": list(scopes)}, headers=admin_headers
        )
        assert resp.status_code == 201, resp.text
        return bearer(resp.json()["key"])

    return make


@pytest.fixture(scope="session")
async def runtime(settings: Settings, migrated: None) -> AsyncIterator[Runtime]:
    """The worker and the dispatcher running in-process against the session's servers."""
    async with running(settings) as rt:
        yield rt
