"""One Temporal worker per action, on the action's own task queue.

`max_task_queue_activities_per_second` is enforced by the Temporal server for the whole
queue, so the limit holds however many worker processes run (architecture decision 5).
The set follows the actions table: a NOTIFY on change starts, restarts or stops workers.
Every action has its queue, limited or not, so a journey that entered while an action was
limited still finds a worker after the limit is lifted or the worker restarts.
The LISTEN loop runs under the worker's supervisor (workers/supervisor.py); `running`
stops the action workers when the process stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import asyncpg
from temporalio.client import Client
from temporalio.worker import Worker

from activities.actions import ActionActivities
from core.connectors import ActionSpec, action_task_queue
from core.settings import Settings
from workers.listener import close_quietly, listen, probe

log = logging.getLogger("wayline.actions")
NOTIFY_ACTIONS = "wayline_actions"


class ActionWorkers:
    name = "action-workers"
    notify = NOTIFY_ACTIONS

    def __init__(
        self, client: Client, pool: asyncpg.Pool, activities: ActionActivities, settings: Settings
    ) -> None:
        self.client = client
        self.pool = pool
        self.activities = activities
        self.settings = settings
        self.running: dict[str, tuple[float | None, Worker, asyncio.Task[None]]] = {}
        self._changed = asyncio.Event()
        self._listener: asyncpg.Connection | None = None

    @property
    def interval(self) -> float:
        return self.settings.dispatch_sweep_seconds

    async def open(self) -> None:
        """LISTEN, then sync at the first tick: a change made while the connection was down
        sent a NOTIFY nobody heard."""
        self._listener = await listen(self.settings.database_url, {self.notify: self._changed.set})
        self._changed.set()

    async def tick(self) -> None:
        """Sync on NOTIFY; otherwise check, every interval, that the LISTEN connection lives.
        The workers already running are left alone when this fails: they need no database."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), self.interval)
        if not self._changed.is_set():
            await probe(self._listener)
            return
        self._changed.clear()
        await self.sync()

    async def close(self) -> None:
        listener, self._listener = self._listener, None
        await close_quietly(listener)

    async def wanted(self) -> dict[str, float | None]:
        """Each definition that needs a queue, with its rate limit."""
        rows = await self.pool.fetch("SELECT name, spec FROM actions")
        return {r["name"]: ActionSpec.model_validate(r["spec"]).rate_limit for r in rows}

    def worker(self, name: str, rate: float | None) -> Worker:
        return Worker(
            self.client,
            task_queue=action_task_queue(self.settings.task_queue, name),
            activities=[self.activities.call_action],
            max_task_queue_activities_per_second=rate,
            max_concurrent_activities=self.settings.worker_max_concurrent_activities,
        )

    async def sync(self) -> None:
        wanted = await self.wanted()
        for name in list(self.running):
            if name not in wanted or wanted[name] != self.running[name][0]:
                await self._stop(name)
        for name, rate in wanted.items():
            if name not in self.running:
                self._start(name, rate)

    def _start(self, name: str, rate: float | None) -> None:
        worker = self.worker(name, rate)
        self.running[name] = (rate, worker, asyncio.create_task(worker.run()))
        log.info("%s: %s on its own queue, limit %s/s", self.name, name, rate)

    async def _stop(self, name: str) -> None:
        entry = self.running.pop(name, None)
        if entry is None:  # a sync in flight and `stop_all` may race at shutdown
            return
        _, worker, task = entry
        await worker.shutdown()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task

    async def stop_all(self) -> None:
        for name in list(self.running):
            await self._stop(name)
