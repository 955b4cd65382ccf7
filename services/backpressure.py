"""Backpressure for bulk ingest (issue 18.5): refuse a batch before routing collapses.

The outbox absorbs any burst (decision 8), but a backlog that only grows means events are
acknowledged faster than journeys can react, and every one of them reacts later. So while
the backlog of unrouted events (or, when configured, the age of the oldest) passes its bound,
bulk ingest — `POST /v1/events/batch`, Segment's `batch`/`import` — is refused with 429 and
`Retry-After`, storing nothing, so senders slow down and retry. A single transactional event
(`POST /v1/events`, Segment's `track`) is never refused: one password-reset mail must not
wait behind a marketing import. The reading is taken at most once a second per API process
(one query, bounded work: the count stops past the bound, the age reads one index entry).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

import asyncpg

from core.metrics import INGEST_THROTTLED, OUTBOX_BACKLOG, OUTBOX_LAG
from core.settings import Settings
from db.sql import q
from services.errors import Overloaded

READING_TTL_SECONDS = 1.0
"""How long one reading of the outbox serves every request of the process."""
UNBOUNDED_COUNT = 1_000_000
"""Where the backlog count stops when no backlog bound is set (the gauge still reports)."""


@dataclass(frozen=True)
class Reading:
    """The outbox as measured: unrouted events (counted up to a limit) and the oldest's age."""

    backlog: int
    lag_seconds: float


@dataclass(frozen=True)
class Limits:
    """The bounds past which bulk ingest is refused; None leaves that measure unbounded."""

    backlog: int | None
    lag_seconds: float | None
    retry_after: int

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(
            settings.backpressure_backlog,
            settings.backpressure_lag_seconds,
            settings.backpressure_retry_after,
        )

    def count_limit(self) -> int:
        """How far the backlog must be counted to decide: one past the bound."""
        return UNBOUNDED_COUNT if self.backlog is None else self.backlog + 1


@dataclass(frozen=True)
class Overload:
    """Why bulk ingest is refused now: the measure that passed (`backlog`, `lag`) and a sentence."""

    cause: str
    message: str


def overload(reading: Reading, limits: Limits) -> Overload | None:
    """The pure decision: which bound `reading` passes, or None when bulk ingest may go on."""
    if limits.backlog is not None and reading.backlog > limits.backlog:
        return Overload(
            "backlog", f"more than {limits.backlog} events wait to be routed; retry later"
        )
    if limits.lag_seconds is not None and reading.lag_seconds > limits.lag_seconds:
        return Overload(
            "lag",
            f"the oldest unrouted event has waited {reading.lag_seconds:.0f} s, "
            f"more than {limits.lag_seconds:g} s; retry later",
        )
    return None


class OutboxGauge:
    """One API process's view of the outbox, read at most once per `ttl` seconds."""

    def __init__(
        self,
        limits: Limits,
        ttl: float = READING_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limits = limits
        self._ttl = ttl
        self._clock = clock
        self._lock = asyncio.Lock()
        self._reading: Reading | None = None
        self._read_at = float("-inf")

    async def reading(self, pool: asyncpg.Pool) -> Reading:
        """The last reading while fresh, else a new one (one query for all waiting callers)."""
        async with self._lock:
            if self._reading is None or self._clock() - self._read_at >= self._ttl:
                self._reading = await measure(pool, self.limits.count_limit())
                self._read_at = self._clock()
            return self._reading

    async def admit(self, pool: asyncpg.Pool, route: str) -> None:
        """Raise Overloaded (429 + Retry-After at the API) while a bound is passed."""
        found = overload(await self.reading(pool), self.limits)
        if found is not None:
            INGEST_THROTTLED.labels(route, found.cause).inc()
            raise Overloaded(found.message, self.limits.retry_after)


async def measure(pool: asyncpg.Pool, count_limit: int) -> Reading:
    """Read the outbox and export what was read as the backlog and lag gauges."""
    row = await pool.fetchrow(q("outbox_pressure"), count_limit)
    assert row is not None  # an aggregate always answers one row
    reading = Reading(int(row["backlog"]), float(row["lag"]))
    OUTBOX_BACKLOG.set(reading.backlog)
    OUTBOX_LAG.set(reading.lag_seconds)
    return reading
