"""The outbox dispatcher: routes stored events to workflows, in order per profile.

Woken by LISTEN/NOTIFY (no polling loop on the hot path), it leases a batch of profiles
with `FOR UPDATE SKIP LOCKED` so several dispatchers share the work, routes each profile's
events in order and the profiles concurrently, then marks what it delivered. A crash
leaves leases that expire, so the events are routed again; workflows drop repeated
event ids. A batch is bounded by its lease: one that fails or overruns it (every Temporal
call has an RPC timeout too) marks what it delivered and frees its profiles at once.

It runs under the worker's supervisor (workers/supervisor.py): a tick that fails (the
database restarting) is retried after a backoff with a new LISTEN connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from dataclasses import dataclass

import asyncpg

from core.metrics import EVENTS_ROUTED
from core.names import NOTIFY_EVENTS, NOTIFY_JOURNEYS
from core.settings import Settings
from core.telemetry import current as current_telemetry
from db.sql import q
from journeys.model import Event, Profile
from workers.listener import close_quietly, listen, probe
from workers.router import Registry, Router

log = logging.getLogger("wayline.dispatcher")
RETRY_DELAY_SECONDS = 2.0
# A batch ends before its lease does, so no other dispatcher can claim a profile whose events
# are still being routed (the re-route that started a second, empty run).
BATCH_SHARE_OF_LEASE = 0.8


@dataclass
class DispatchStats:
    routed: int = 0
    failed: int = 0
    batches: int = 0


class Dispatcher:
    name = "dispatcher"

    def __init__(self, pool: asyncpg.Pool, router: Router, settings: Settings) -> None:
        self.pool = pool
        self.router = router
        self.settings = settings
        self.stats = DispatchStats()
        self._wake = asyncio.Event()
        self._reload = asyncio.Event()
        self._listener: asyncpg.Connection | None = None
        self.telemetry = current_telemetry()

    @property
    def interval(self) -> float:
        """Even with no NOTIFY, an idle tick ends when the sweep timer fires."""
        return self.settings.dispatch_sweep_seconds

    async def open(self) -> None:
        """LISTEN first, then load: a publish in between is caught by the NOTIFY or the check
        in `dispatch_once`. Anything stored while the connection was down (its NOTIFY lost)
        is claimed by the first tick, which dispatches before it waits."""
        self._listener = await listen(
            self.settings.database_url,
            {NOTIFY_EVENTS: self._wake.set, NOTIFY_JOURNEYS: self._on_journeys},
        )
        self.router.registry = await Registry.load(self.pool)
        self._reload.clear()

    async def tick(self) -> None:
        """One batch, or one wait for work; raises when PostgreSQL fails (the supervisor
        backs off and reopens)."""
        if self._reload.is_set():
            self._reload.clear()
            self.router.registry = await Registry.load(self.pool)
        if not await self.dispatch_once():
            await self._idle()

    async def close(self) -> None:
        listener, self._listener = self._listener, None
        await close_quietly(listener)

    def _on_journeys(self) -> None:
        self._reload.set()
        self._wake.set()

    async def _idle(self) -> None:
        """Sleep until NOTIFY, or until the sweep picks up expired leases and strays (and
        checks that the LISTEN connection still delivers)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), self.settings.dispatch_sweep_seconds)
        if not self._wake.is_set():
            await probe(self._listener)
            await self.pool.execute(q("requeue_stranded"), self.settings.dispatch_sweep_seconds)
        self._wake.clear()

    async def dispatch_once(self) -> bool:
        """One batch; returns whether there was work (so the loop goes on without waiting).

        A batch that fails, or reaches 80 % of its lease (a call that never answers), gives its
        profiles back at once: the supervisor restarts the loop, and neither these profiles
        nor the ones behind them wait a whole lease for an answer that is not coming."""
        claimed = await self.pool.fetch(
            q("claim_profiles"), self.settings.dispatch_batch, self.settings.dispatch_lease_seconds
        )
        if not claimed:
            return False
        done: list[int] = []  # filled as events are delivered, so a failed batch keeps them
        try:
            async with asyncio.timeout(BATCH_SHARE_OF_LEASE * self.settings.dispatch_lease_seconds):
                await self._deliver(claimed, done)
        except Exception:
            await self._give_back([r["profile_id"] for r in claimed], done)
            raise
        return True

    async def _give_back(self, ids: list[str], done: list[int]) -> None:
        """Marks what was delivered and frees the profiles; best effort: when PostgreSQL
        itself is the fault, the leases simply run out and the events are routed again."""
        try:
            await self.pool.execute(q("mark_dispatched"), done)
            await self.pool.execute(q("delay_profiles"), ids, RETRY_DELAY_SECONDS)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("could not give back %d leased profiles: %s", len(ids), exc)

    async def _deliver(self, claimed: list[asyncpg.Record], done: list[int]) -> None:
        """Routes the claimed profiles' events, then marks and releases what was delivered."""
        # These events were committed after any publish they may depend on, but that
        # publish's NOTIFY can still be on its way: check the registry is current.
        self.router.registry = await self.router.registry.current(self.pool)
        self.stats.batches += 1
        ids = [r["profile_id"] for r in claimed]
        by_profile: dict[str, list[asyncpg.Record]] = defaultdict(list)
        for row in await self.pool.fetch(q("pending_events"), ids):
            by_profile[row["profile_id"]].append(row)
        profiles = await self._profiles(
            ids, {r["name"] for rows in by_profile.values() for r in rows}
        )
        sem = asyncio.Semaphore(self.settings.dispatch_concurrency)
        results = await asyncio.gather(
            *(
                self._route_profile(sem, rows, profiles.get(pid), done)
                for pid, rows in by_profile.items()
            )
        )
        failed = {pid for ok, pid in zip(results, by_profile, strict=True) if not ok}
        if done:
            await self.pool.execute(q("mark_dispatched"), done)
        ok_rows = [r for r in claimed if r["profile_id"] not in failed]
        await self.pool.execute(
            q("release_profiles"), [r["profile_id"] for r in ok_rows], [r["seq"] for r in ok_rows]
        )
        if failed:
            await self.pool.execute(q("delay_profiles"), list(failed), RETRY_DELAY_SECONDS)
        self.stats.routed += len(done)
        EVENTS_ROUTED.labels("routed").inc(len(done))

    async def _profiles(self, ids: list[str], names: set[str]) -> dict[str, Profile]:
        """Profiles are read in one query, and only if an entry filter looks at them."""
        if not self.router.registry.needs_profiles(names):
            return {}
        rows = await self.pool.fetch(q("get_profiles"), ids)
        found = {r["profile_id"]: Profile(**dict(r)) for r in rows}
        return {pid: found.get(pid, Profile(profile_id=pid)) for pid in ids}

    async def _route_profile(
        self,
        sem: asyncio.Semaphore,
        rows: list[asyncpg.Record],
        profile: Profile | None,
        delivered: list[int],
    ) -> bool:
        """In order; the first failure stops this profile so later events wait their turn."""
        async with sem:
            for row in rows:
                pid = row["profile_id"]
                event = Event(
                    event_id=row["event_id"],
                    name=row["name"],
                    profile_id=row["profile_id"],
                    timestamp=row["ts"],
                    properties=row["properties"],
                )
                try:
                    with self.telemetry.continue_trace(
                        row["traceparent"],
                        f"route {event.name}",
                        {"wayline.event_id": event.event_id, "wayline.profile_id": pid},
                    ):
                        await self.router.route(event, profile)
                except Exception as exc:  # Temporal unreachable, overloaded: retry later
                    log.warning("routing %s failed: %s", row["event_id"], exc)
                    self.stats.failed += 1
                    EVENTS_ROUTED.labels("failed").inc()
                    return False
                delivered.append(row["id"])
        return True
