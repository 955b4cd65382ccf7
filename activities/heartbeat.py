"""Heartbeats while a provider call runs, so a killed worker's call is retried in seconds."""

from __future__ import annotations

import asyncio

from temporalio import activity


class Heartbeat:
    """Beats every `every` seconds inside an activity that has a heartbeat timeout."""

    def __init__(self, every: float = 1.0) -> None:
        self.every = every
        self._task: asyncio.Task[None] | None = None

    async def _beat(self) -> None:
        while True:
            activity.heartbeat()
            await asyncio.sleep(self.every)

    async def __aenter__(self) -> Heartbeat:
        if activity.in_activity() and activity.info().heartbeat_timeout:
            self._task = asyncio.create_task(self._beat())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task:
            self._task.cancel()
