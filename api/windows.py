"""A report's time window (`since`, `until`) and a series' buckets, checked at the door so a
bad window is a 422 naming its field, never a query that scans or answers nonsense."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Query
from pydantic import AwareDatetime

from api.errors import field, invalid
from journeys.durations import duration_upper_bound

MAX_WINDOW = timedelta(days=366)
MAX_BUCKETS = 500
MIN_BUCKET = timedelta(minutes=1)

SinceQuery = Annotated[
    AwareDatetime | None,
    Query(description="Count visits entered at or after this moment (with its offset)"),
]
UntilQuery = Annotated[
    AwareDatetime | None, Query(description="Count visits entered before this moment")
]


def check_window(since: datetime | None, until: datetime | None, now: datetime) -> None:
    """A 422 naming `until` when it is not after `since`, or `since` when the window (to
    `until`, or to now) is longer than 366 days."""
    if since is not None and until is not None and until <= since:
        raise invalid([field("until", "must be after since")])
    if since is not None and (until or now) - since > MAX_WINDOW:
        raise invalid([field("since", "the window must not exceed 366 days")])


@dataclass(frozen=True)
class Buckets:
    """`count` buckets of `size` from `start`; the last may reach past the window's end."""

    start: datetime
    end: datetime
    size: timedelta
    count: int


def buckets(since: datetime, until: datetime, bucket: str) -> Buckets:
    """The series' buckets: a 422 naming `bucket` when it is not a duration of at least a
    minute that cuts the window into at most 500 buckets."""
    try:
        size = duration_upper_bound(bucket)
    except (ValueError, OverflowError) as exc:
        raise invalid([field("bucket", str(exc))]) from None
    if size < MIN_BUCKET:
        raise invalid([field("bucket", "must be at least PT1M")])
    count = math.ceil((until - since) / size)
    if count > MAX_BUCKETS:
        raise invalid([field("bucket", f"cuts the window into {count} buckets (at most 500)")])
    return Buckets(since, until, size, count)
