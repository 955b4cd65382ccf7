"""PreviewWorkflow and ProofWorkflow: one activity each, so the API renders a template
through the worker's own channels (layout, tracked links, provider payloads) and never
through a renderer of its own.

A preview renders on the main task queue; a proof to a remote channel runs on that
channel's queue (decision 5), its provider calls rate-limited like every other send.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from core.content_contracts import PreviewResult, ProofInput, ProofResult, RenderRequest
    from core.names import PREVIEW_WORKFLOW, PROOF_WORKFLOW, REMOTE_CHANNELS, channel_task_queue
    from core.retries import SEND_RETRY

RENDER_TIMEOUT = timedelta(seconds=20)
RENDER_RETRY = RetryPolicy(maximum_attempts=3, initial_interval=timedelta(milliseconds=200))
PROOF_TIMEOUT = timedelta(minutes=2)


@workflow.defn(name=PREVIEW_WORKFLOW)
class PreviewWorkflow:
    @workflow.run
    async def run(self, inp: RenderRequest) -> PreviewResult:
        return await workflow.execute_activity(
            "preview_message",
            inp,
            start_to_close_timeout=RENDER_TIMEOUT,
            retry_policy=RENDER_RETRY,
            result_type=PreviewResult,
        )


@workflow.defn(name=PROOF_WORKFLOW)
class ProofWorkflow:
    @workflow.run
    async def run(self, inp: ProofInput) -> ProofResult:
        channel = inp.render.channel
        queue = channel_task_queue(inp.task_queue, channel) if channel in REMOTE_CHANNELS else None
        return await workflow.execute_activity(
            "send_proofs",
            inp,
            task_queue=queue,
            start_to_close_timeout=PROOF_TIMEOUT,
            retry_policy=SEND_RETRY.policy(),
            result_type=ProofResult,
        )
