"""The send retry policy: how often a message's provider call is tried before it fails.

One policy for every remote channel, journey sends and campaign batches alike (docs/channels
in the README). A retryable failure (a refused connection, a 5xx, a timeout) is tried again
with a doubling backoff; the last attempt the policy allows records the message `failed`
with the provider's reason instead of raising, so no ledger row stays `sending` and no
campaign waits forever on a provider that is down.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field
from temporalio.common import RetryPolicy


class SendRetry(BaseModel):
    """The knobs; the defaults are the documented policy (about 6 minutes of retries)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    attempts: int = Field(12, ge=1, le=100, description="provider calls before the message fails")
    initial_seconds: float = Field(1.0, gt=0, description="wait before the second attempt")
    backoff: float = Field(2.0, ge=1, description="each wait is the last one times this")
    max_seconds: float = Field(60.0, gt=0, description="no wait is longer than this")

    def policy(self) -> RetryPolicy:
        """The Temporal retry policy of the activity that makes the provider calls."""
        return RetryPolicy(
            initial_interval=timedelta(seconds=self.initial_seconds),
            backoff_coefficient=self.backoff,
            maximum_interval=timedelta(seconds=self.max_seconds),
            maximum_attempts=self.attempts,
        )


SEND_RETRY = SendRetry()
