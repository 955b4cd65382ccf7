"""The whole decision catalog as one value, parsed once per catalog version."""

from __future__ import annotations

from dataclasses import dataclass, field

from decisions.model import OfferSpec, PlacementSpec, PolicySpec
from decisions.selection import candidates


@dataclass
class Catalog:
    version: int
    placements: dict[str, PlacementSpec]
    offers: dict[str, OfferSpec]
    policies: dict[str, PolicySpec]
    _candidates: dict[str, dict[str, OfferSpec]] = field(default_factory=dict)

    def candidates(self, policy_id: str) -> dict[str, OfferSpec]:
        """A policy's candidates, computed once per version (1,000 offers: not per request)."""
        found = self._candidates.get(policy_id)
        if found is None:
            found = candidates(self.policies[policy_id], self.offers)
            self._candidates[policy_id] = found
        return found
