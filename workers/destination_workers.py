"""One Temporal worker per destination, on the destination's own task queue (decision 5):
`max_task_queue_activities_per_second` is the destination's rate limit (batches, files)
across every worker process. Kept in step with the destinations table by NOTIFY, as the
action workers are with theirs (workers/action_workers.py)."""

from __future__ import annotations

import asyncpg
from temporalio.client import Client
from temporalio.worker import Worker

from activities.actions import ActionActivities
from activities.destinations.activities import DestinationActivities
from core.destinations import DestinationSpec
from core.names import NOTIFY_DESTINATIONS, destination_task_queue
from core.settings import Settings
from db.sql import q
from workers.action_workers import ActionWorkers


class DestinationWorkers(ActionWorkers):
    name = "destination-workers"
    notify = NOTIFY_DESTINATIONS

    def __init__(
        self,
        client: Client,
        pool: asyncpg.Pool,
        actions: ActionActivities,
        destinations: DestinationActivities,
        settings: Settings,
    ) -> None:
        super().__init__(client, pool, actions, settings)
        self.destinations = destinations

    async def wanted(self) -> dict[str, float | None]:
        rows = await self.pool.fetch(q("destination_rates"))
        return {r["name"]: DestinationSpec.model_validate(r["spec"]).rate_limit for r in rows}

    def worker(self, name: str, rate: float | None) -> Worker:
        d = self.destinations
        return Worker(
            self.client,
            task_queue=destination_task_queue(self.settings.task_queue, name),
            activities=[d.stream_batch, d.export_file, d.ad_batch],
            max_task_queue_activities_per_second=rate,
            max_concurrent_activities=self.settings.worker_max_concurrent_activities,
        )
