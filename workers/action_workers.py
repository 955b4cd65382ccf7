"""One Temporal worker per action, on the action's own task queue.

`max_task_queue_activities_per_second` is enforced by the Temporal server for the whole
queue, so the limit holds however many worker processes run (DESIGN.md decision 5).
The set follows the actions table: a NOTIFY on change starts, restarts or stops workers.
Every action has its queue, limited or not, so a journey that entered while an action was
limited still finds a worker after the limit is lifted or the worker restarts.
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

log = logging.getLogger("wayline.actions")
NOTIFY_ACTIONS = "wayline_actions"


class ActionWorkers:
    def __init__(
        self, client: Client, pool: asyncpg.Pool, activities: ActionActivities, settings: Settings
    ) -> None:
        self.client = client
        self.pool = pool
        self.activities = activities
        self.settings = settings
        self.running: dict[str, tuple[float | None, Worker, asyncio.Task[None]]] = {}
        self._changed = asyncio.Event()

    async def run(self) -> None:
        conn = await asyncpg.connect(self.settings.database_url)
        await conn.add_listener(NOTIFY_ACTIONS, lambda *_: self._changed.set())
        try:
            while True:
                await self.sync()
                await self._changed.wait()
                self._changed.clear()
        finally:
            await conn.close()
            await self.stop_all()

    async def sync(self) -> None:
        wanted: dict[str, float | None] = {}
        for row in await self.pool.fetch("SELECT name, spec FROM actions"):
            wanted[row["name"]] = ActionSpec.model_validate(row["spec"]).rate_limit
        for name in list(self.running):
            if name not in wanted or wanted[name] != self.running[name][0]:
                await self._stop(name)
        for name, rate in wanted.items():
            if name not in self.running:
                self._start(name, rate)

    def _start(self, name: str, rate: float | None) -> None:
        worker = Worker(
            self.client,
            task_queue=action_task_queue(self.settings.task_queue, name),
            activities=[self.activities.call_action],
            max_task_queue_activities_per_second=rate,
            max_concurrent_activities=self.settings.worker_max_concurrent_activities,
        )
        self.running[name] = (rate, worker, asyncio.create_task(worker.run()))
        log.info("action %s: worker on its own queue, limit %s calls/s", name, rate)

    async def _stop(self, name: str) -> None:
        entry = self.running.pop(name, None)
        if entry is None:  # `run`'s own clean-up and `stop_all` may race at shutdown
            return
        _, worker, task = entry
        await worker.shutdown()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task

    async def stop_all(self) -> None:
        for name in list(self.running):
            await self._stop(name)
