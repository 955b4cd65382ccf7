"""Cap arithmetic: which counter a cap counts in now, and whether it still has room.

A counter is (offer, scope, window start): scope `""` is the offer's total, otherwise the
profile id; a window is a fixed period of epoch seconds (`P1D` = the UTC day), and a cap
without a period counts in window 0 for ever.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from decisions.model import Cap, OfferSpec

TOTAL_SCOPE = ""


@dataclass(frozen=True)
class CounterKey:
    offer_id: str
    scope: str
    window_start: int


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
    return all(counts.get(limit.key, 0) < limit.limit for limit in found)


def taken_at_proposal(offer: OfferSpec) -> bool:
    """Caps on `proposed` are taken in the proposition's transaction; others by events."""
    return offer.caps is not None and offer.caps.counted_on == "proposed"
