"""AudienceRefreshWorkflow: the full re-evaluation of a time-relative audience.

Started by the audience's Temporal Schedule (architecture decision 6); the evaluation itself
is one activity, so a worker crash retries it and the set-based diff stays idempotent.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from core.contracts import RefreshAudienceInput, RefreshAudienceResult
    from core.names import AUDIENCE_REFRESH_WORKFLOW

REFRESH_TIMEOUT = timedelta(minutes=15)
REFRESH_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5),
    maximum_interval=timedelta(minutes=2),
    maximum_attempts=5,
)


@workflow.defn(name=AUDIENCE_REFRESH_WORKFLOW)
class AudienceRefreshWorkflow:
    @workflow.run
    async def run(self, inp: RefreshAudienceInput) -> RefreshAudienceResult:
        return await workflow.execute_activity(
            "refresh_audience",
            inp,
            start_to_close_timeout=REFRESH_TIMEOUT,
            retry_policy=REFRESH_RETRY,
            result_type=RefreshAudienceResult,
        )
