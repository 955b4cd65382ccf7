"""Cap arithmetic: which counter a cap counts in now, and whether it still has room.

A counter is (offer, scope, window start, shard): scope `""` is the offer's total,
otherwise the profile id; a window is a fixed period of epoch seconds (`P1D` = the UTC day),
and a cap without a period counts in window 0 for ever.

A total is counted in `SHARDS` rows (escrow): shard s may take `share(limit, s)`, the shares
adding up to the limit, so the total never passes it while concurrent decisions each lock
a different row rather than all queueing on one. A decision starts at the shard its request
hashes to and goes on to the next with room (db/migrations/037, take_caps_and_propose, which
splits a limit as `share` does). A profile's counter is one row (shard 0).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from decisions.model import Cap, OfferSpec

TOTAL_SCOPE = ""
SHARDS = 16  # db/migrations/032_decision_shards.sql spreads older totals over as many


@dataclass(frozen=True)
class CounterKey:
    offer_id: str
    scope: str
    window_start: int
    shard: int = 0


@dataclass(frozen=True)
class Limit:
    key: CounterKey
    limit: int


def window_start(now: datetime, seconds: int | None) -> int:
    """The first epoch second of the window holding `now`."""
    if seconds is None:
        return 0
    epoch = int(now.timestamp())
    return epoch - epoch % seconds


def _limit(offer_id: str, scope: str, cap: Cap, now: datetime) -> Limit:
    return Limit(CounterKey(offer_id, scope, window_start(now, cap.seconds)), cap.limit)


def limits(offer_id: str, offer: OfferSpec, profile_id: str, now: datetime) -> list[Limit]:
    """The counters that must have room for the offer to go to this profile now."""
    caps = offer.caps
    if caps is None:
        return []
    found = []
    if caps.per_profile is not None:
        found.append(_limit(offer_id, profile_id, caps.per_profile, now))
    if caps.total is not None:
        found.append(_limit(offer_id, TOTAL_SCOPE, caps.total, now))
    return found


def has_room(found: list[Limit], counts: Mapping[CounterKey, int]) -> bool:
    """Whether every counter, summed over its shards, is below its limit."""
    summed = _summed(counts.items())
    return all(summed.get(counter(limit.key), 0) < limit.limit for limit in found)


def counter(key: CounterKey) -> tuple[str, str, int]:
    """A counter whatever its shard, as a plain tuple: compared and hashed per candidate
    offer, where a dataclass's `replace` and `astuple` were a tenth of a decision's CPU."""
    return (key.offer_id, key.scope, key.window_start)


def _summed(counts: Iterable[tuple[CounterKey, int]]) -> dict[tuple[str, str, int], int]:
    summed: dict[tuple[str, str, int], int] = {}
    for key, count in counts:
        whole = counter(key)
        summed[whole] = summed.get(whole, 0) + count
    return summed


def shard_of(request_id: str) -> int:
    """The shard a request tries first: stable, so a replayed request starts at the same."""
    return zlib.crc32(request_id.encode()) % SHARDS


def share(limit: int, shard: int) -> int:
    """What shard `shard` of a total may count: the limit split evenly, the remainder to
    the first shards, so the shares add up to the limit."""
    return limit // SHARDS + (1 if shard < limit % SHARDS else 0)


def taken_at_proposal(offer: OfferSpec) -> bool:
    """Caps on `proposed` are taken in the proposition's transaction; others by events."""
    return offer.caps is not None and offer.caps.counted_on == "proposed"
