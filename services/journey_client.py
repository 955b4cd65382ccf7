"""Entering a profile into a journey: the one signal-with-start every caller uses.

The router (events), the jump step and future audience fan-outs enter journeys the same
way, so the workflow id, search attributes and memo are the same everywhere.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import timedelta

from temporalio.client import Client
from temporalio.common import (
    SearchAttributeKey,
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDReusePolicy,
)
from temporalio.service import RPCError, RPCStatusCode

from core.contracts import EventSignal, JourneyInput
from core.names import EVENT_SIGNAL, JOURNEY_WORKFLOW, journey_workflow_id
from journeys.model import Event

JOURNEY_ID = SearchAttributeKey.for_keyword("JourneyId")
JOURNEY_VERSION = SearchAttributeKey.for_int("JourneyVersion")
PROFILE_ID = SearchAttributeKey.for_keyword("ProfileId")
# Each call to Temporal is bounded: one that never answers fails and is retried, instead of
# holding up the dispatcher batch (and every profile behind it) that waits on it.
RPC_TIMEOUT = timedelta(seconds=10)


async def enter_journey(
    client: Client,
    task_queue: str,
    *,
    journey_id: str,
    version: int,
    name: str,
    event: Event,
    key: str | None = None,
) -> None:
    """An event for a profile already inside is delivered to that run, not lost (decision 1);
    with a `key` (`journeys.routing.entry_key`), to that key's instance (decision 13)."""
    await client.start_workflow(
        JOURNEY_WORKFLOW,
        JourneyInput(
            journey_id=journey_id,
            version=version,
            profile_id=event.profile_id,
            entry_event=event,
            key=key,
        ),
        id=journey_workflow_id(journey_id, event.profile_id, key),
        task_queue=task_queue,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        start_signal=EVENT_SIGNAL,
        start_signal_args=[EventSignal(event=event)],
        search_attributes=TypedSearchAttributes(
            [
                SearchAttributePair(JOURNEY_ID, journey_id),
                SearchAttributePair(JOURNEY_VERSION, version),
                SearchAttributePair(PROFILE_ID, event.profile_id),
            ]
        ),
        memo={"journey_name": name, "journey_version": version}
        | ({} if key is None else {"journey_key": key}),
        rpc_timeout=RPC_TIMEOUT,
    )


async def terminate_journeys(
    client: Client, workflow_ids: Iterable[str], reason: str, concurrency: int
) -> None:
    """Terminate each run, `concurrency` at a time; one Temporal no longer knows is already
    ended, any other error is raised (the caller records nothing until all are ended)."""
    slots = asyncio.Semaphore(concurrency)

    async def end(workflow_id: str) -> None:
        async with slots:
            try:
                await client.get_workflow_handle(workflow_id).terminate(reason=reason)
            except RPCError as exc:
                if exc.status != RPCStatusCode.NOT_FOUND:
                    raise

    await asyncio.gather(*(end(w) for w in workflow_ids))
