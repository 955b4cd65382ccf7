"""Whether this activity attempt is the last its retry policy allows (core/retries.py).

A retryable provider failure raises, so that Temporal tries again; on the last attempt it is
recorded as final instead, so the ledger says why the message failed and nothing waits on a
retry that will never come.
"""

from __future__ import annotations

from temporalio import activity


def last_attempt() -> int | None:
    """This attempt's number when no further one will follow, else None (outside an
    activity, or under a policy without a limit)."""
    if not activity.in_activity():
        return None
    info = activity.info()
    limit = info.retry_policy.maximum_attempts if info.retry_policy else 0
    return info.attempt if limit and info.attempt >= limit else None


def gave_up(error: object, attempts: int) -> str:
    """The ledger's reason of a message whose retries ran out."""
    return f"{error} (gave up after {attempts} attempts)"
