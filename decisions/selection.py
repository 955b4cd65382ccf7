"""Choosing offers for a policy's placements from a ranked list, one at a time.

The service walks the ranked offers and asks `Picker.admits` before taking an offer's caps,
so the exclusions (no offer twice, at most one per exclusive tag, `count` per placement)
are decided here and the caps in the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from decisions.model import OfferSpec, PolicySpec


@dataclass(frozen=True)
class Chosen:
    offer_id: str
    placement: str
    score: float | None
    reason: str


def candidates(policy: PolicySpec, offers: Mapping[str, OfferSpec]) -> dict[str, OfferSpec]:
    """The policy's candidate offers (by tag or by name), fallbacks excluded."""
    tags = set(policy.candidates.tags)
    named = set(policy.candidates.offers)
    return {
        oid: offer
        for oid, offer in offers.items()
        if not offer.fallback and (oid in named or tags.intersection(offer.tags))
    }


@dataclass
class Picker:
    policy: PolicySpec
    chosen: list[Chosen] = field(default_factory=list)
    _taken_tags: set[str] = field(default_factory=set)

    def _count(self, placement: str) -> int:
        return sum(1 for c in self.chosen if c.placement == placement)

    def full(self, placement: str) -> bool:
        return self._count(placement) >= self.policy.count

    def admits(self, offer_id: str, offer: OfferSpec, placement: str) -> bool:
        if placement not in offer.representations or self.full(placement):
            return False
        if any(c.offer_id == offer_id for c in self.chosen):
            return False
        return not self._exclusive(offer) & self._taken_tags

    def _exclusive(self, offer: OfferSpec) -> set[str]:
        return set(offer.tags).intersection(self.policy.exclusive_tags)

    def take(self, chosen: Chosen, offer: OfferSpec) -> None:
        self.chosen.append(chosen)
        self._taken_tags |= self._exclusive(offer)

    def fallbacks(self) -> list[Chosen]:
        """The fallback for each placement left empty (none without a policy fallback)."""
        fallback = self.policy.fallback
        if fallback is None:
            return []
        empty = [p for p in self.policy.placements if self._count(p) == 0]
        return [Chosen(fallback, p, None, "fallback") for p in empty]
