"""The API in-process over the session's real servers, and clients authenticated for it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Generator

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


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keeps each phase's report on the test, so a fixture can tell that its test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(autouse=True)
async def worker_state_on_failure(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """When a test that uses the session's worker fails, prints what the dispatcher and the
    supervised loops were doing: a stalled route is then told from a slow workflow."""
    yield
    report = getattr(request.node, "report_call", None)
    if report is None or not report.failed or "runtime" not in request.fixturenames:
        return
    rt: Runtime = request.getfixturevalue("runtime")
    queue = await rt.pool.fetchrow(
        "SELECT count(*) AS rows, count(*) FILTER (WHERE leased_until > now()) AS leased,"
        " min(seq) AS oldest_seq FROM dispatch_queue"
    )
    pending = await rt.pool.fetchrow(
        "SELECT count(*) AS events, now() - min(received_at) AS oldest"
        " FROM events WHERE dispatched_at IS NULL"
    )
    print(f"dispatcher: {rt.dispatcher.stats}; queue {queue}; pending {pending}")
    for state in rt.supervisor.loops.values():
        if state.failures or state.last_error:
            print(f"loop {state.name}: {state.failures} failures, last {state.last_error}")
    print(f"stuck: {rt.supervisor.stuck()}")
    print(f"worker pool: {rt.pool.get_size()} open, {rt.pool.get_idle_size()} idle")
    for task in asyncio.all_tasks():
        if task.get_name() == "loop dispatcher":
            print("dispatcher awaits:", " > ".join(awaiting(task.get_coro())))


def awaiting(coro: object) -> list[str]:
    """Where a suspended coroutine waits, outermost first (asyncio's own stack shows only
    the task's top frame)."""
    chain: list[str] = []
    while coro is not None and len(chain) < 40:
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "ag_frame", None)
        if frame is not None:
            chain.append(f"{frame.f_code.co_name}:{frame.f_lineno}")
        coro = getattr(coro, "cr_await", None) or getattr(coro, "ag_await", None)
    return chain
