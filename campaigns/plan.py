"""Pure planning of campaign runs: message ids, local send times, throttle and ramp-up.

No clock and no I/O: the workflow passes `workflow.now()` in, so the same code is tested
with any fake time and replays deterministically.
"""

from __future__ import annotations

import uuid
import zlib
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_NAMESPACE = uuid.UUID("6f2b1c1e-7a43-4c1b-9d6a-3e0f5b9a2c11")
DAY = timedelta(days=1)


def campaign_decision_request(
    campaign_id: str, run_id: str, profile_id: str, policy_id: str
) -> str:
    """The decision request of one member of a campaign run for one policy: once per run,
    so a retried batch or a follow-up step finds the proposition already recorded."""
    key = f"decision\x1f{campaign_id}\x1f{run_id}\x1f{profile_id}\x1f{policy_id}"
    return f"campaign:{uuid.uuid5(_NAMESPACE, key)}"


def campaign_message_id(
    campaign_id: str, run_id: str, profile_id: str, step: str | None = None
) -> str:
    """One id per (campaign run, profile) (architecture decision 3): a retried batch finds it.

    An orchestrated campaign's follow-up is a second step with ids of its own."""
    key = f"campaign\x1f{campaign_id}\x1f{run_id}\x1f{profile_id}"
    return str(uuid.uuid5(_NAMESPACE, key if step is None else f"{key}\x1f{step}"))


def weighted_pick(weights: Sequence[int], key: str) -> int:
    """A stable index for `key` with the given percentages (they add up to 100)."""
    point = zlib.crc32(key.encode()) % 100
    total = 0
    for index, weight in enumerate(weights):
        total += weight
        if point < total:
            return index
    return len(weights) - 1


def parse_local_time(text: str) -> time:
    """`HH:MM` (24 h) as a time of day; ValueError names what is wrong."""
    try:
        hours, minutes = text.split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise ValueError(f"{text!r} is not a time of day HH:MM") from None


def zone(name: str | None, default: str = "UTC") -> ZoneInfo:
    """The profile's zone; an unknown or missing name falls back to the default."""
    for candidate in (name, default, "UTC"):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def next_local_time(at: time, tz: ZoneInfo, now: datetime) -> datetime:
    """The first moment at or after `now` when the clock in `tz` shows `at`, in UTC.

    A profile whose local time has passed today gets it tomorrow, so a run started at
    noon UTC sends to Tokyo tomorrow morning and to New York this morning's next 10:00.
    """
    local_now = now.astimezone(tz)
    candidate = datetime.combine(local_now.date(), at, tzinfo=tz)
    if candidate < local_now:
        candidate = datetime.combine(local_now.date() + DAY, at, tzinfo=tz)
    return candidate.astimezone(UTC)


def local_due_times(
    timezones: Iterable[str | None], at: time, now: datetime, default: str = "UTC"
) -> dict[str | None, datetime]:
    """When each timezone's profiles get the message: `at` in their local time."""
    return {name: next_local_time(at, zone(name, default), now) for name in set(timezones)}


def ramp_allowance(ramp_up: Sequence[int], started: datetime, now: datetime) -> int | None:
    """How many sends the ramp-up allows in total by `now`; None once it is over.

    `ramp_up[d]` is the number of messages day d+1 of the run may send (day 1 starts
    when the run starts); after the last listed day the run is unlimited.
    """
    day = int((now - started) // DAY)
    if not ramp_up or day >= len(ramp_up):
        return None
    return sum(ramp_up[: day + 1])


def next_ramp_day(started: datetime, now: datetime) -> datetime:
    """The start of the run's next ramp-up day."""
    return started + DAY * (int((now - started) // DAY) + 1)


def throttle_group(max_per_second: float | None, ceiling: int) -> int:
    """How many profiles one paced step handles: about a second's worth at the rate."""
    if not max_per_second:
        return ceiling
    return max(1, min(ceiling, int(max_per_second)))


def throttle_delay(sent: int, max_per_second: float | None) -> timedelta:
    """How long a step of `sent` messages must take to stay under the rate."""
    if not max_per_second or sent <= 0:
        return timedelta(0)
    return timedelta(seconds=sent / max_per_second)


def split_batches(first: int, end: int, size: int) -> list[tuple[int, int]]:
    """[first, end) cut into half-open ranges of at most `size` sequence numbers."""
    return [(lo, min(lo + size, end)) for lo in range(first, end, max(1, size))]
