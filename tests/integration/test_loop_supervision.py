"""Chaos: PostgreSQL stops for longer than every sweep interval while events stream in.

Issue 13: after a database outage the dispatcher task had ended, `/health` stayed 200, events
were still acknowledged and no journey started until the worker was restarted by hand. Here
the worker keeps running across a 30 s outage of its own PostgreSQL (the session's servers
are left alone: this module starts its own PostgreSQL and Temporal on free ports), and every
event the API acknowledged with 202 must start its journey afterwards, once, with nothing
restarted but PostgreSQL. An event whose POST failed during the outage was never
acknowledged and is not counted.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
import pytest
from prometheus_client import REGISTRY

from api.app import create_app
from api.keys import ensure_bootstrap_key
from core.settings import Settings
from db.migrate import migrate_url
from db.pool import create_pool
from tests.conftest import ADMIN_KEY, embedded_servers
from tests.integration.helpers import eventually, publish
from workers.embedded import EmbeddedPostgres, EmbeddedTemporal
from workers.health import HealthServer
from workers.worker import Runtime, running

pytestmark = pytest.mark.integration
OUTAGE_SECONDS = 30.0
SWEEP_SECONDS = 1.0
EVENT_EVERY = 0.1
STUCK_SECONDS = 5.0
# Every loop that needs PostgreSQL; the Temporal workers do not, and must stay healthy.
DATABASE_LOOPS = {
    "dispatcher",
    "audience-rechecker",
    "action-workers",
    "destination-workers",
    "alerts",
    "reconciler",
}


@dataclass
class Chaos:
    postgres: EmbeddedPostgres
    temporal: EmbeddedTemporal
    settings: Settings


@pytest.fixture(scope="module")
def chaos_servers() -> Iterator[Chaos]:
    with embedded_servers("wayline-chaos-") as started:
        settings = Settings(
            DATABASE_URL=started.postgres.url,
            TEMPORAL_ADDRESS=started.temporal.address,
            WAYLINE_BOOTSTRAP_KEY=ADMIN_KEY,
            WAYLINE_DATA_DIR=started.root,
            WAYLINE_TASK_QUEUE=f"chaos-{uuid.uuid4().hex[:6]}",
            WAYLINE_DISPATCH_SWEEP_SECONDS=SWEEP_SECONDS,
            WAYLINE_DISPATCH_LEASE_SECONDS=5.0,
            # Every periodic loop comes round more than once during the outage.
            WAYLINE_ALERT_INTERVAL_SECONDS=5.0,
            WAYLINE_RECONCILE_SECONDS=5.0,
            WAYLINE_WORKER_METRICS_PORT=0,
            WAYLINE_WORKER_STUCK_SECONDS=STUCK_SECONDS,
        )
        yield Chaos(started.postgres, started.temporal, settings)


@pytest.fixture(scope="module")
async def chaos_pool(chaos_servers: Chaos) -> AsyncIterator[asyncpg.Pool]:
    await migrate_url(chaos_servers.settings.database_url, create=True)
    pool = await create_pool(chaos_servers.settings.database_url)
    await ensure_bootstrap_key(pool, chaos_servers.settings)
    try:
        yield pool
    finally:
        await pool.close()


@pytest.fixture(scope="module")
async def chaos_api(
    chaos_servers: Chaos, chaos_pool: asyncpg.Pool
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(chaos_servers.settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://wayline", headers=headers, timeout=10
        ) as client:
            yield client


@pytest.fixture(scope="module")
async def chaos_runtime(chaos_servers: Chaos, chaos_pool: asyncpg.Pool) -> AsyncIterator[Runtime]:
    async with running(chaos_servers.settings) as rt:
        yield rt


@pytest.fixture(scope="module")
async def health_url(chaos_runtime: Runtime) -> AsyncIterator[str]:
    """The worker's health endpoint over real loopback HTTP, on a free port."""
    server = HealthServer(chaos_runtime.supervisor, "127.0.0.1", 0)
    await server.start()
    try:
        yield f"http://127.0.0.1:{server.port}/health"
    finally:
        await server.close()


async def health(url: str) -> tuple[int, dict[str, Any]]:
    async with httpx.AsyncClient(timeout=10) as client:
        resp = await client.get(url)
    return resp.status_code, resp.json()


def journey(jid: str) -> dict[str, Any]:
    """Entered by `{jid}.go`, then waiting: an entry row per profile is the proof of routing."""
    return {
        "id": jid,
        "name": jid,
        "entry": {"event": f"{jid}.go"},
        "reentry": {"mode": "never"},
        "timeout": "P1D",
        "start": "hold",
        "nodes": {
            "hold": {"type": "wait", "duration": "PT1H", "next": "done"},
            "done": {"type": "end"},
        },
    }


@dataclass
class Stream:
    """Posts one event for a fresh profile every EVENT_EVERY seconds until stopped."""

    api: httpx.AsyncClient
    name: str
    acknowledged: list[str] = field(default_factory=list)
    refused: int = 0
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            profile = f"{self.name}-p{n}"
            body = {"name": self.name, "profile_id": profile, "event_id": f"{profile}-e"}
            try:
                resp = await self.api.post("/v1/events", json=body)
                if resp.status_code == 202:
                    self.acknowledged.append(profile)
                else:
                    self.refused += 1
            except Exception:  # the database is down: the API could not answer
                self.refused += 1
            await asyncio.sleep(EVENT_EVERY)


async def entries(pool: asyncpg.Pool, jid: str) -> dict[str, int]:
    rows = await pool.fetch(
        "SELECT profile_id, count(*) AS n FROM journey_entries WHERE journey_id = $1"
        " GROUP BY profile_id",
        jid,
    )
    return {r["profile_id"]: r["n"] for r in rows}


async def test_every_acknowledged_event_is_routed_after_an_outage(
    chaos_servers: Chaos,
    chaos_pool: asyncpg.Pool,
    chaos_api: httpx.AsyncClient,
    chaos_runtime: Runtime,
    health_url: str,
) -> None:
    jid = f"chaos-{uuid.uuid4().hex[:6]}"
    await publish(chaos_pool, journey(jid), jid)
    stream = Stream(chaos_api, f"{jid}.go")
    producer = asyncio.create_task(stream.run())
    await eventually(lambda: entries(chaos_pool, jid))  # routing works before the outage
    assert (await health(health_url))[0] == 200
    await asyncio.sleep(2)  # the outage then cuts a stream in full flow
    before = len(stream.acknowledged)
    assert before > 0
    await asyncio.to_thread(chaos_servers.postgres.stop)
    await asyncio.sleep(OUTAGE_SECONDS)
    status, during = await health(health_url)
    await asyncio.to_thread(chaos_servers.postgres.start)
    back = time.monotonic()
    assert status == 503, during
    assert set(during["stuck"]) == DATABASE_LOOPS, during
    assert "last error" in during["stuck"]["dispatcher"], "the cause is reported"
    assert all(during["loops"][name]["failures"] > 0 for name in DATABASE_LOOPS), during
    await asyncio.sleep(3)
    stream.stop.set()
    await producer
    acknowledged = set(stream.acknowledged)
    assert len(acknowledged) > before, "events are acknowledged again after the outage"

    async def all_routed() -> bool:
        return acknowledged <= set(await entries(chaos_pool, jid))

    try:
        await eventually(all_routed, limit=120)
    finally:
        seen = await entries(chaos_pool, jid)
        print(
            f"\nchaos: acknowledged {len(acknowledged)}, refused {stream.refused}, "
            f"routed {len(acknowledged & set(seen))}, lost {len(acknowledged - set(seen))}, "
            f"duplicated {sum(n - 1 for n in seen.values())}, "
            f"recovered {time.monotonic() - back:.1f} s after PostgreSQL was back"
        )
    assert all(n == 1 for n in seen.values()), "each event starts its journey once"

    async def healthy() -> bool:
        return (await health(health_url))[0] == 200

    await eventually(healthy, limit=60)
    _, after = await health(health_url)
    assert all(loop["failures"] == 0 for loop in after["loops"].values()), after
    ticked = REGISTRY.get_sample_value(
        "wayline_loop_last_tick_timestamp_seconds", {"loop": "dispatcher"}
    )
    assert ticked is not None and ticked > time.time() - 60
