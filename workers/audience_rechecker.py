"""The audience rechecker: keeps membership current as profiles change and events arrive.

Triggers on `profiles` and `events` (db/migrations/010_audience_rules.sql) queue the
(audience, profile) pairs a write may affect, whatever wrote it (API, Segment, imports,
journey steps), and NOTIFY. This loop, woken by LISTEN, leases a batch with
`FOR UPDATE SKIP LOCKED` (several workers share the work), re-evaluates each audience for
just those profiles and releases the pairs. A bulk statement (an import) queues an
audience once with the profile id '' instead, and gets one full evaluation. A crash
leaves leases that expire; the work is then redone, which is harmless because applying
membership is a diff.

It runs under the worker's supervisor (workers/supervisor.py), which retries a failed
tick after a backoff with a new LISTEN connection.

The audience events it emits are committed after the event that caused them, so they
come later in the outbox and journeys see cause before effect.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

from audiences.rules import Rule
from core.names import NOTIFY_AUDIENCES
from db.sql import q
from services.audiences import MembershipChange, evaluate, recheck, stored_rule
from workers.listener import close_quietly, listen, probe

log = logging.getLogger("wayline.audiences")
FULL = ""  # the profile id the triggers queue when a bulk write calls for a full evaluation


@dataclass
class RecheckStats:
    batches: int = 0
    rechecked: int = 0
    entered: int = 0
    exited: int = 0


class AudienceRechecker:
    name = "audience-rechecker"

    def __init__(
        self,
        pool: asyncpg.Pool,
        database_url: str,
        *,
        batch: int = 1000,
        lease_seconds: float = 60.0,
        sweep_seconds: float = 5.0,
    ) -> None:
        self.pool = pool
        self.database_url = database_url
        self.batch = batch
        self.lease_seconds = lease_seconds
        self.sweep_seconds = sweep_seconds
        self.stats = RecheckStats()
        self._broken: set[str] = set()
        self._wake = asyncio.Event()
        self._listener: asyncpg.Connection | None = None

    @property
    def interval(self) -> float:
        return self.sweep_seconds

    async def open(self) -> None:
        self._listener = await listen(self.database_url, {NOTIFY_AUDIENCES: self._wake.set})

    async def tick(self) -> None:
        """One batch, or one wait; a failure (even a bug) is the supervisor's to retry, so it
        cannot stop membership upkeep for good."""
        if await self.recheck_once():
            return
        # The sweep timeout picks up pairs whose lease expired after a crash.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), self.sweep_seconds)
        if not self._wake.is_set():
            await probe(self._listener)
        self._wake.clear()

    async def close(self) -> None:
        listener, self._listener = self._listener, None
        await close_quietly(listener)

    def _rules(self, rows: list[asyncpg.Record]) -> dict[str, Rule]:
        """Parse each stored rule on its own: one that no longer parses (written around the
        API, or by an older release) must not stop every other audience from being kept
        current; its members stay as they are and the problem is logged once."""
        rules: dict[str, Rule] = {}
        for r in rows:
            try:
                rules[r["audience_id"]] = stored_rule(r["definition"])
            except ValueError:
                if r["audience_id"] not in self._broken:
                    self._broken.add(r["audience_id"])
                    log.exception("audience %s is not kept current", r["audience_id"])
        return rules

    async def recheck_once(self) -> bool:
        """One batch; returns whether there was work."""
        claimed = await self.pool.fetch(q("claim_rechecks"), self.batch, self.lease_seconds)
        if not claimed:
            return False
        self.stats.batches += 1
        by_audience: dict[str, list[str]] = defaultdict(list)
        for row in claimed:
            by_audience[row["audience_id"]].append(row["profile_id"])
        rules = self._rules(await self.pool.fetch(q("audience_definitions"), list(by_audience)))
        total = MembershipChange()
        now = datetime.now(UTC)
        for audience_id, profile_ids in by_audience.items():
            rule = rules.get(audience_id)
            if rule is None:  # archived or deleted: nothing to keep current
                continue
            async with self.pool.acquire() as conn, conn.transaction():
                if FULL in profile_ids:  # a bulk write: one full evaluation beats N rechecks
                    total += await evaluate(conn, audience_id, rule, now)
                else:
                    total += await recheck(conn, audience_id, rule, profile_ids, now)
        await self.pool.execute(
            q("release_rechecks"),
            [r["audience_id"] for r in claimed],
            [r["profile_id"] for r in claimed],
            [r["seq"] for r in claimed],
        )
        self.stats.rechecked += len(claimed)
        self.stats.entered += total.entered
        self.stats.exited += total.exited
        return True
