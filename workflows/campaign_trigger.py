"""CampaignTriggerWorkflow: the inbox of an API-triggered campaign's requests.

A workflow per request would cost a workflow start, tasks and completion each time; the
dev server completes only ~45 one-activity workflows/s on two cores (architecture decision
9), below the 100 requests/s a transactional campaign must take. So each request is a
signal-with-start into one long-lived workflow per campaign, and whatever requests have
arrived are sent together by one local activity (each still its own run, with its own
ledger rows and message ids). It continues as new, carrying what is pending, before its
history grows large.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from core.campaign_contracts import (
        SendTriggeredInput,
        SendTriggeredResult,
        TriggerBatch,
        TriggerInboxInput,
        TriggerRequest,
    )
    from core.names import (
        CAMPAIGN_TRIGGER_BATCH_SIGNAL,
        CAMPAIGN_TRIGGER_SIGNAL,
        CAMPAIGN_TRIGGER_WORKFLOW,
    )
    from core.retries import SEND_RETRY as DEFAULT_SEND_RETRY

INBOX_LIFETIME_PATCH = "trigger-inbox-lifetime"

# Its sends are bounded as every channel's are; the first retry comes sooner, since a
# triggered (transactional) request is waited for.
SEND_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200),
    maximum_interval=timedelta(seconds=10),
    maximum_attempts=DEFAULT_SEND_RETRY.attempts,
)


@workflow.defn(name=CAMPAIGN_TRIGGER_WORKFLOW)
class CampaignTriggerWorkflow:
    def __init__(self) -> None:
        self._pending: list[TriggerRequest] = []
        self._sent = 0

    @workflow.signal(name=CAMPAIGN_TRIGGER_SIGNAL)
    def trigger(self, request: TriggerRequest) -> None:
        self._pending.append(request)

    @workflow.signal(name=CAMPAIGN_TRIGGER_BATCH_SIGNAL)
    def trigger_batch(self, batch: TriggerBatch) -> None:
        """Several requests in one signal (the API groups those that arrive together)."""
        self._pending.extend(batch.requests)

    @workflow.query(name="pending")
    def pending(self) -> int:
        return len(self._pending)

    @workflow.run
    async def run(self, inp: TriggerInboxInput) -> None:
        self._pending = [*inp.pending, *self._pending]
        expiry: asyncio.Future[None]
        if inp.lifetime_seconds is not None and workflow.patched(INBOX_LIFETIME_PATCH):
            # One timer for the inbox's life, not one per wait: fewer history events.
            expiry = asyncio.create_task(workflow.sleep(inp.lifetime_seconds))
        else:
            expiry = asyncio.get_running_loop().create_future()  # never done
        while True:
            await workflow.wait_condition(lambda: bool(self._pending) or expiry.done())
            if not self._pending:  # its window is over and nothing is left: done
                await workflow.wait_condition(workflow.all_handlers_finished)
                if not self._pending:
                    return
                continue
            take = self._pending[: inp.max_batch]
            del self._pending[: len(take)]
            result = await workflow.execute_local_activity(
                "send_triggered",
                SendTriggeredInput(
                    workflow_id=workflow.info().workflow_id, requests=take, now=workflow.now()
                ),
                result_type=SendTriggeredResult,
                start_to_close_timeout=timedelta(seconds=60),
                retry_policy=SEND_RETRY,
            )
            self._sent += len(result.runs)
            info = workflow.info()
            if (
                info.is_continue_as_new_suggested()
                or info.get_current_history_length() > inp.history_limit
            ):
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(inp.model_copy(update={"pending": self._pending}))
