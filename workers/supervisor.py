"""Supervised background loops (architecture decision 11): a fault may delay work, never stop it.

Every long-running loop of the worker (dispatcher, audience rechecker, action workers,
reconciler, alerts, SDK metrics) runs under one Supervisor instead of as a bare task that
nothing awaits: a tick that raises is logged with its cause, the loop's connections are
closed, and after a capped exponential backoff it is opened again (a LISTEN connection is
reconnected, a registry reloaded) and goes on. Each loop's last successful tick is exported
as a gauge and read by the worker's health endpoint (workers/health.py), which turns
unhealthy when a loop has not ticked within its interval plus a grace period.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from core.metrics import LOOP_FAILURES, LOOP_LAST_TICK

log = logging.getLogger("wayline.supervisor")
BACKOFF_BASE_SECONDS = 0.5
# The cap is also the most a loop may still wait once the database is back.
BACKOFF_CAP_SECONDS = 10.0


def backoff_delay(
    failures: int,
    *,
    base: float = BACKOFF_BASE_SECONDS,
    cap: float = BACKOFF_CAP_SECONDS,
    jitter: float = 0.0,
) -> float:
    """Seconds to wait after the `failures`-th failure in a row: base, 2·base, 4·base… up to
    `cap`. `jitter` in [0, 1) takes off up to half, so the workers an outage cut all at once
    do not all reconnect at the same instant."""
    if failures <= 0:
        return 0.0
    delay = min(cap, base * 2.0 ** min(failures - 1, 32))
    return delay * (1.0 - jitter / 2.0)


class Loop(Protocol):
    """A supervised loop: `open` takes what the ticks need, `tick` is one round of work and
    its wait (it raises on failure), `close` releases what `open` took."""

    name: str

    @property
    def interval(self) -> float:
        """The longest gap between two ticks of a healthy loop, its waits included."""
        ...

    async def open(self) -> None: ...

    async def tick(self) -> None: ...

    async def close(self) -> None: ...


@dataclass
class LoopState:
    """What the health endpoint and the metrics know of one loop."""

    name: str
    interval: float
    started_at: float
    last_tick: float | None = None
    failures: int = 0  # in a row, since the last successful tick
    last_error: str | None = None
    ended: bool = False  # only for watched tasks, which are not restarted

    def stuck(self, now: float, grace: float) -> str | None:
        """Why this loop counts as stuck, or None while it ticks in time."""
        if self.ended:
            return f"ended: {self.last_error or 'returned'}"
        since = self.last_tick if self.last_tick is not None else self.started_at
        if now - since <= self.interval + grace:
            return None
        what = "no successful tick" if self.last_tick is not None else "no tick since start"
        reason = f"{what} for {now - since:.0f} s"
        return f"{reason}; last error: {self.last_error}" if self.last_error else reason


class Supervisor:
    """Runs loops as tasks, restarts them after a failure, and knows which are stuck."""

    def __init__(
        self,
        grace: float,
        *,
        base: float = BACKOFF_BASE_SECONDS,
        cap: float = BACKOFF_CAP_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.grace = grace
        self.base, self.cap = base, cap
        self.clock = clock
        self.loops: dict[str, LoopState] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False

    def start(self, loop: Loop) -> None:
        state = LoopState(loop.name, loop.interval, self.clock())
        self.loops[loop.name] = state
        task = asyncio.create_task(self._supervise(loop, state), name=f"loop {loop.name}")
        self._tasks.append(task)

    def watch(self, name: str, task: asyncio.Task[None]) -> None:
        """A task that cannot be restarted from here (a Temporal worker, which retries its
        own polls): its end is logged and reported as stuck, instead of going unnoticed."""
        state = LoopState(name, math.inf, self.clock())
        self.loops[name] = state
        task.add_done_callback(lambda t: self._ended(state, t))

    def stuck(self) -> dict[str, str]:
        now = self.clock()
        found = {name: s.stuck(now, self.grace) for name, s in self.loops.items()}
        return {name: reason for name, reason in found.items() if reason}

    async def stop(self) -> None:
        self._stopping = True
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    async def _supervise(self, loop: Loop, state: LoopState) -> None:
        while True:
            try:
                await self._run(loop, state)
            except Exception as exc:  # every failure is retried, none is fatal
                self._failed(state, exc)
                await asyncio.sleep(self._backoff(state.failures, random.random()))

    async def _run(self, loop: Loop, state: LoopState) -> None:
        try:
            await loop.open()
            while True:
                await loop.tick()
                self._ticked(state)
        finally:
            await _quietly(loop.close(), loop.name)

    def _ticked(self, state: LoopState) -> None:
        state.last_tick = self.clock()
        LOOP_LAST_TICK.labels(state.name).set(state.last_tick)
        if state.failures:
            log.info("loop %s recovered after %d failed attempts", state.name, state.failures)
        state.failures, state.last_error = 0, None

    def _failed(self, state: LoopState, exc: Exception) -> None:
        state.failures += 1
        state.last_error = f"{type(exc).__name__}: {exc}"
        LOOP_FAILURES.labels(state.name).inc()
        delay = self._backoff(state.failures, 0.0)
        if state.failures == 1:  # the traceback once per outage, then one line per retry
            log.error("loop %s failed, retrying in %.1f s", state.name, delay, exc_info=exc)
        else:
            log.warning(
                "loop %s failed %d times in a row (%s), retrying in about %.1f s",
                state.name,
                state.failures,
                state.last_error,
                delay,
            )

    def _backoff(self, failures: int, jitter: float) -> float:
        return backoff_delay(failures, base=self.base, cap=self.cap, jitter=jitter)

    def _ended(self, state: LoopState, task: asyncio.Task[None]) -> None:
        if task.cancelled() or self._stopping:
            return
        state.ended = True
        exc = task.exception()
        state.last_error = f"{type(exc).__name__}: {exc}" if exc else None
        log.error("%s ended and is not running any more", state.name, exc_info=exc)


@dataclass
class Periodic:
    """A loop that calls `work` every `interval` seconds (the first call at once)."""

    name: str
    interval: float
    work: Callable[[], Awaitable[object]]
    _wait: float = 0.0

    async def open(self) -> None:
        self._wait = 0.0  # after a failure, the backoff was the wait

    async def tick(self) -> None:
        await asyncio.sleep(self._wait)
        self._wait = self.interval
        await self.work()

    async def close(self) -> None:
        return None


async def _quietly(closing: Awaitable[None], name: str) -> None:
    """Closing a connection to a server that is gone may fail too; it must not mask why."""
    try:
        await closing
    except Exception as exc:
        log.debug("closing loop %s: %s", name, exc)
