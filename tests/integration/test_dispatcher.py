"""The outbox against real Postgres: order per profile, several dispatchers, crash recovery.

The router is a recording stand-in here (the Temporal side is covered end to end elsewhere);
what is under test is the leasing, ordering and marking in Postgres.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import pytest

from core.settings import Settings
from db.migrate import migrate_url
from db.pool import create_pool
from db.sql import q
from journeys.model import Event, Profile
from workers.dispatcher import RETRY_DELAY_SECONDS, Dispatcher
from workers.router import Registry

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def pool(settings: Settings, migrated: None) -> AsyncIterator[asyncpg.Pool]:
    """A database of its own: the session's running dispatcher must not take these events."""
    dsn = f"{settings.database_url.rsplit('/', 1)[0]}/disp{uuid.uuid4().hex[:8]}"
    await migrate_url(dsn, create=True)
    p = await create_pool(dsn)
    yield p
    await p.close()


class RecordingRouter:
    """Stands in for workers.router.Router: records, and fails on demand."""

    def __init__(self, log: dict[str, list[str]], fail_first: set[str] | None = None) -> None:
        self.log = log
        self.fail_first = set(fail_first or ())
        self.registry = Registry()  # no journeys: profiles are never needed

    async def route(self, event: Event, profile: Profile | None) -> None:
        await asyncio.sleep(0.001)
        if event.event_id in self.fail_first:
            self.fail_first.discard(event.event_id)
            raise ConnectionError("temporal unreachable")
        self.log[event.profile_id].append(event.event_id)


async def ingest(pool: asyncpg.Pool, events: list[tuple[str, str]]) -> None:
    now = datetime.now(UTC)
    async with pool.acquire() as conn, conn.transaction():
        await conn.fetch(
            q("insert_events"),
            [e for e, _ in events],
            ["n"] * len(events),
            [p for _, p in events],
            [now] * len(events),
            [{}] * len(events),
        )


async def drain(
    dispatchers: list[Dispatcher],
    pool: asyncpg.Pool,
    ids: list[str],
    produced: asyncio.Event | None = None,
) -> None:
    """Dispatch until none of `ids` is pending, and, given `produced`, it is set: a dispatcher
    that stopped at a moment when the others had caught up with the producer would have
    left them all the work (a faster dispatcher made that likely)."""

    async def worker(d: Dispatcher) -> None:
        for _ in range(500):
            pending = await pool.fetchval(
                "SELECT count(*) FROM events WHERE event_id = ANY($1) AND dispatched_at IS NULL",
                ids,
            )
            if not pending and (produced is None or produced.is_set()):
                return
            if not await d.dispatch_once():
                await asyncio.sleep(0.05)
        raise AssertionError("events left undispatched")

    await asyncio.gather(*(worker(d) for d in dispatchers))


async def test_two_dispatchers_keep_order_per_profile(
    pool: asyncpg.Pool, settings: Settings
) -> None:
    run = uuid.uuid4().hex[:6]
    profiles = [f"d{run}-{i}" for i in range(30)]
    expected: dict[str, list[str]] = defaultdict(list)
    batches = []
    for round_ in range(8):
        batch = [(f"{p}-e{round_}", p) for p in profiles]
        for e, p in batch:
            expected[p].append(e)
        batches.append(batch)
    log: dict[str, list[str]] = defaultdict(list)
    cfg = settings.model_copy(update={"dispatch_batch": 7})
    d1 = Dispatcher(pool, RecordingRouter(log), cfg)  # type: ignore[arg-type]
    d2 = Dispatcher(pool, RecordingRouter(log), cfg)  # type: ignore[arg-type]
    all_ids = [e for b in batches for e, _ in b]

    produced = asyncio.Event()

    async def producer() -> None:
        for batch in batches:
            await ingest(pool, batch)
            await asyncio.sleep(0.01)
        produced.set()

    await asyncio.gather(producer(), drain([d1, d2], pool, all_ids, produced))
    await drain([d1, d2], pool, all_ids)
    assert {p: log[p] for p in profiles} == dict(expected)
    assert d1.stats.batches > 0 and d2.stats.batches > 0, "both dispatchers should share work"


async def test_failed_route_is_retried_in_order(pool: asyncpg.Pool, settings: Settings) -> None:
    p = f"f{uuid.uuid4().hex[:6]}"
    ids = [f"{p}-e{i}" for i in range(4)]
    await ingest(pool, [(e, p) for e in ids])
    log: dict[str, list[str]] = defaultdict(list)
    d = Dispatcher(pool, RecordingRouter(log, fail_first={ids[1]}), settings)  # type: ignore[arg-type]
    await d.dispatch_once()
    assert log[p] == ids[:1], "routing stops at the failure, later events wait"
    await pool.execute(
        "UPDATE dispatch_queue SET leased_until = '-infinity' WHERE profile_id = $1", p
    )
    await drain([d], pool, ids)
    assert log[p] == ids


async def test_expired_lease_is_resumed(pool: asyncpg.Pool, settings: Settings) -> None:
    """A dispatcher that died holding a lease: once it expires, another routes the events."""
    p = f"c{uuid.uuid4().hex[:6]}"
    ids = [f"{p}-e{i}" for i in range(3)]
    await ingest(pool, [(e, p) for e in ids])
    await pool.execute(
        "UPDATE dispatch_queue SET leased_until = now() + interval '1 second' "
        "WHERE profile_id = $1",
        p,
    )
    log: dict[str, list[str]] = defaultdict(list)
    d = Dispatcher(pool, RecordingRouter(log), settings)  # type: ignore[arg-type]
    await asyncio.sleep(1.2)
    await drain([d], pool, ids)
    assert log[p] == ids


async def test_duplicate_event_ids_are_stored_once(pool: asyncpg.Pool) -> None:
    p = f"u{uuid.uuid4().hex[:6]}"
    await ingest(pool, [(f"{p}-a", p), (f"{p}-a", p), (f"{p}-b", p)])
    await ingest(pool, [(f"{p}-b", p)])
    count = await pool.fetchval("SELECT count(*) FROM events WHERE profile_id = $1", p)
    assert count == 2


class HangingRouter(RecordingRouter):
    """A Temporal call that never answers, for the events named in `hang`."""

    def __init__(self, log: dict[str, list[str]], hang: set[str]) -> None:
        super().__init__(log)
        self.hang = hang

    async def route(self, event: Event, profile: Profile | None) -> None:
        if event.event_id in self.hang:
            await asyncio.Event().wait()
        await super().route(event, profile)


async def test_a_batch_past_its_lease_gives_its_profiles_back(
    pool: asyncpg.Pool, settings: Settings
) -> None:
    """A call that never answers ends the batch at its lease with an error (the supervisor
    restarts the loop), and the profiles are free again for the next claim, not held."""
    p, q2 = (f"h{uuid.uuid4().hex[:6]}" for _ in range(2))
    await ingest(pool, [(f"{p}-e0", p), (f"{q2}-e0", q2)])
    log: dict[str, list[str]] = defaultdict(list)
    cfg = settings.model_copy(update={"dispatch_lease_seconds": 1.0})
    d = Dispatcher(pool, HangingRouter(log, hang={f"{p}-e0"}), cfg)  # type: ignore[arg-type]
    with pytest.raises(TimeoutError):
        await d.dispatch_once()
    assert log[q2] == [f"{q2}-e0"]  # routed while the other hung
    held = await pool.fetch(
        "SELECT profile_id, leased_until - now() < interval '3 seconds' AS soon"
        " FROM dispatch_queue WHERE profile_id = ANY($1) ORDER BY profile_id",
        [p, q2],
    )
    assert [(r["profile_id"], r["soon"]) for r in held] == sorted([(p, True), (q2, True)])
    d.router = RecordingRouter(log)  # type: ignore[assignment]
    await asyncio.sleep(RETRY_DELAY_SECONDS + 0.2)
    await drain([d], pool, [f"{p}-e0", f"{q2}-e0"])
    assert log[p] == [f"{p}-e0"] and log[q2] == [f"{q2}-e0"]  # marked: not routed twice
