"""Group commit of API-triggered requests: one signal carries every request that arrived
for an inbox while the previous signal to it was in flight.

Each request costs the Temporal server a history event and the worker a share of a
workflow task; at 100 requests/s that was most of the CPU of a request. Grouping needs no
timer: a lone request is signalled at once, and whatever arrives during that round trip
goes out together in the next one, so batches grow exactly when the load does. A request
is answered only once the signal carrying it is accepted (durable in the inbox's history);
if that signal fails, every request in it fails.
"""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes

from core.campaign_contracts import CAMPAIGN_ID, TriggerBatch, TriggerInboxInput, TriggerRequest
from core.names import CAMPAIGN_TRIGGER_BATCH_SIGNAL, CAMPAIGN_TRIGGER_WORKFLOW
from services.campaign_client import trigger_workflow_id

INBOX_LIFETIME_SECONDS = 60.0
"""An inbox takes requests for TRIGGER_WINDOW_SECONDS; the rest is slack for slow calls."""
INBOX_HISTORY_LIMIT = 10_000
"""Continue-as-new only past this; a window's inbox normally stays well below it."""

_Key = tuple[str, str]  # (task queue, inbox workflow id)


class TriggerSender:
    """Signals-with-start the inboxes, grouping concurrent requests per inbox."""

    def __init__(self, client: Client, *, max_batch: int = 200) -> None:
        self.client = client
        self.max_batch = max_batch
        self._waiting: dict[_Key, list[tuple[TriggerRequest, asyncio.Future[None]]]] = {}
        self._draining: dict[_Key, asyncio.Task[None]] = {}

    async def send(self, task_queue: str, request: TriggerRequest) -> None:
        """Returns once the request is in its inbox's history."""
        key = (task_queue, trigger_workflow_id(request.spec.campaign_id, request.run_id))
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(key, []).append((request, done))
        if key not in self._draining:
            self._draining[key] = asyncio.create_task(self._drain(key))
        await asyncio.shield(done)

    async def _drain(self, key: _Key) -> None:
        try:
            while waiting := self._waiting.pop(key, None):
                for start in range(0, len(waiting), self.max_batch):
                    await self._signal(key, waiting[start : start + self.max_batch])
        finally:
            del self._draining[key]

    async def _signal(
        self, key: _Key, group: list[tuple[TriggerRequest, asyncio.Future[None]]]
    ) -> None:
        task_queue, workflow_id = key
        campaign_id = group[0][0].spec.campaign_id
        outcome: BaseException | None = None
        try:
            await self.client.start_workflow(
                CAMPAIGN_TRIGGER_WORKFLOW,
                TriggerInboxInput(
                    campaign_id=campaign_id,
                    history_limit=INBOX_HISTORY_LIMIT,
                    lifetime_seconds=INBOX_LIFETIME_SECONDS,
                ),
                id=workflow_id,
                task_queue=task_queue,
                start_signal=CAMPAIGN_TRIGGER_BATCH_SIGNAL,
                start_signal_args=[TriggerBatch(requests=[r for r, _ in group])],
                search_attributes=TypedSearchAttributes(
                    [SearchAttributePair(CAMPAIGN_ID, campaign_id)]
                ),
            )
        except Exception as exc:  # every request of the signal fails with it
            outcome = exc
        for _, done in group:
            _settle(done, outcome)


def _settle(done: asyncio.Future[Any], outcome: BaseException | None) -> None:
    if done.done():
        return
    if outcome is None:
        done.set_result(None)
    else:
        done.set_exception(outcome)
