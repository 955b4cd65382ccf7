"""`python -m bench.bare_worker`: the worker of the bare baseline, in its own process.

It reads the same settings as `wayline worker` (WAYLINE_WORKER_* from the environment) and
builds its Worker with the same sandboxed runner, data converter, cache, concurrency and
pollers as `workers.worker.build_workers` builds the journey worker, so the only difference
left is the Wayline code. (The journey worker passes `journeys`, `core`, pydantic... through
the sandbox; the bare workflows import none of them, so the default restrictions are the
same thing here, and this process does not import the Wayline stack at all.)
With `--minimal` it serves `EmptyWorkflow` alone on a worker with default SDK settings.
Stops on SIGTERM or SIGINT.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from temporalio.client import Client
from temporalio.worker import PollerBehaviorSimpleMaximum, Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from bench.bare import (
    BARE_TASK_QUEUE,
    EMPTY_TASK_QUEUE,
    BareActivityWorkflow,
    BareLocalWorkflow,
    EmptyWorkflow,
    noop,
)
from core.converter import data_converter
from core.settings import Settings


def build_bare_worker(client: Client, settings: Settings) -> Worker:
    return Worker(
        client,
        task_queue=BARE_TASK_QUEUE,
        workflows=[BareLocalWorkflow, BareActivityWorkflow],
        activities=[noop],
        workflow_runner=SandboxedWorkflowRunner(),
        max_cached_workflows=settings.worker_max_cached_workflows,
        max_concurrent_workflow_tasks=settings.worker_max_concurrent_workflow_tasks,
        max_concurrent_activities=settings.worker_max_concurrent_activities,
        max_concurrent_local_activities=settings.worker_max_concurrent_activities,
        workflow_task_poller_behavior=PollerBehaviorSimpleMaximum(
            maximum=settings.worker_workflow_pollers
        ),
        activity_task_poller_behavior=PollerBehaviorSimpleMaximum(
            maximum=settings.worker_activity_pollers
        ),
    )


def build_minimal_worker(client: Client) -> Worker:
    """Default SDK settings throughout: the yardstick is Temporal, not our tuning."""
    return Worker(client, task_queue=EMPTY_TASK_QUEUE, workflows=[EmptyWorkflow])


async def serve(minimal: bool) -> None:
    settings = Settings()
    client = await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=data_converter,
    )
    worker = build_minimal_worker(client) if minimal else build_bare_worker(client, settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with worker:
        logging.getLogger("wayline.bench").info("bare worker on %s", worker.task_queue)
        await stop.wait()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    asyncio.run(serve(minimal="--minimal" in sys.argv[1:]))


if __name__ == "__main__":
    main()
