"""The whole decision catalog as one value, parsed once per catalog version."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from decisions.eligibility import Facts
from decisions.model import OfferSpec, PlacementSpec, PolicySpec
from decisions.ranking import Arm, Scored, by_priority, rank
from decisions.selection import candidates


@dataclass
class Catalog:
    version: int
    placements: dict[str, PlacementSpec]
    offers: dict[str, OfferSpec]
    policies: dict[str, PolicySpec]
    _candidates: dict[str, dict[str, OfferSpec]] = field(default_factory=dict)
    _by_priority: dict[str, list[Scored]] = field(default_factory=dict)
    # (offer, window start) of totals found full: a total only grows within its window, and
    # a changed cap is a new version, so what one decision learnt spares the next its call.
    exhausted: set[tuple[str, int]] = field(default_factory=set)

    def candidates(self, policy_id: str) -> dict[str, OfferSpec]:
        """A policy's candidates, computed once per version (1,000 offers: not per request)."""
        found = self._candidates.get(policy_id)
        if found is None:
            found = candidates(self.policies[policy_id], self.offers)
            self._candidates[policy_id] = found
        return found

    def ranked(
        self, policy_id: str, facts: Facts, arms: Mapping[str, Arm], request_seed: int
    ) -> list[Scored]:
        """Every candidate in rank order, eligible or not: eligibility is asked lazily while
        picking. A priority order does not depend on the request, so it is sorted once."""
        policy = self.policies[policy_id]
        if policy.ranking.method != "priority":
            return rank(self.candidates(policy_id), policy.ranking, facts, arms, request_seed)
        found = self._by_priority.get(policy_id)
        if found is None:
            found = by_priority(self.candidates(policy_id))
            self._by_priority[policy_id] = found
        return found
