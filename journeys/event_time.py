"""Which event timestamps are believable: pure, the caller passes the server's `now`.

An event stamped `0` (1970), in the year 594 or 9999 is a client's bug, not history: it
would enter journeys whose `after`/`within` rules compare it with today, sort before every
real event of its profile and overflow the date arithmetic of waits. So ingest refuses a
timestamp before 2000-01-01 or more than a day ahead of the server's clock (a day covers
any clock skew and time zone mistake a real client makes).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
MAX_AHEAD = timedelta(days=1)


def timestamp_problem(timestamp: datetime | None, now: datetime) -> str | None:
    """Why an (aware) event timestamp is refused at `now`, or None when it is believable."""
    if timestamp is None:
        return None
    latest = now + MAX_AHEAD
    if EARLIEST <= timestamp <= latest:
        return None
    return (
        f"must be between {EARLIEST:%Y-%m-%d} and a day after the server's time"
        f" ({latest.isoformat(timespec='seconds')}), got {timestamp.isoformat()}"
    )
