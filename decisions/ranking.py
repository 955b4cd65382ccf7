"""Ranking candidates: by priority, by a formula, or by Thompson sampling (`auto`).

`auto` draws one sample per offer from Beta(1 + goals, 1 + misses) of that offer's
(policy, offer) row. The draws come from a generator seeded by (profile, request): the same
request ranks the same way on a replay or in a test, and different requests explore.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from decisions.eligibility import Facts
from decisions.model import OfferSpec, Ranking
from journeys.expressions import ExpressionError, compile_expression


@dataclass(frozen=True)
class Arm:
    """A (policy, offer) row: how often the offer was proposed, how often it met a goal."""

    propositions: int = 0
    goals: int = 0

    @property
    def estimate(self) -> float:
        """The posterior mean of the goal rate under a uniform prior."""
        return (1 + self.goals) / (2 + self.propositions)


@dataclass(frozen=True)
class Scored:
    offer_id: str
    score: float
    reason: str


def seed(profile_id: str, request_id: str) -> int:
    """The exploration seed of one decision request (stable across processes and runs)."""
    digest = hashlib.sha256(f"{profile_id}\x1f{request_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def offer_view(offer_id: str, offer: OfferSpec) -> dict[str, Any]:
    """What a formula sees as `offer`."""
    return {
        "offer_id": offer_id,
        "name": offer.name,
        "tags": list(offer.tags),
        "priority": offer.priority,
        "attributes": offer.attributes,
    }


def _ordered(scored: Iterable[Scored]) -> list[Scored]:
    return sorted(scored, key=lambda s: (-s.score, s.offer_id))


def by_priority(offers: Mapping[str, OfferSpec]) -> list[Scored]:
    return _ordered(Scored(oid, float(o.priority), "priority") for oid, o in offers.items())


def by_formula(offers: Mapping[str, OfferSpec], formula: str, facts: Facts) -> list[Scored]:
    """An offer whose score is not a number (or fails to evaluate) is left out."""
    compiled = compile_expression(formula)
    scope = facts.scope()
    scored = []
    for oid, offer in offers.items():
        try:
            value = compiled.evaluate({**scope, "offer": offer_view(oid, offer)})
        except ExpressionError:
            continue
        if isinstance(value, int | float) and not isinstance(value, bool) and value == value:
            scored.append(Scored(oid, float(value), "formula"))
    return _ordered(scored)


def by_thompson(
    offers: Mapping[str, OfferSpec], arms: Mapping[str, Arm], request_seed: int
) -> list[Scored]:
    rng = random.Random(request_seed)
    scored = []
    for oid in sorted(offers):
        arm = arms.get(oid, Arm())
        misses = max(arm.propositions - arm.goals, 0)
        scored.append(Scored(oid, rng.betavariate(1 + arm.goals, 1 + misses), "auto"))
    return _ordered(scored)


def rank(
    offers: Mapping[str, OfferSpec],
    ranking: Ranking,
    facts: Facts,
    arms: Mapping[str, Arm],
    request_seed: int,
) -> list[Scored]:
    if ranking.method == "formula":
        assert ranking.formula is not None  # the model holds formula and method together
        return by_formula(offers, ranking.formula, facts)
    if ranking.method == "auto":
        return by_thompson(offers, arms, request_seed)
    return by_priority(offers)


def proposition_id(policy_id: str, request_id: str) -> str:
    """The id of a policy's answer to one request: a retried request finds its answer.

    Persisted and named by offer events, so its format is pinned by a test."""
    digest = hashlib.sha256(f"proposition\x1f{policy_id}\x1f{request_id}".encode()).hexdigest()
    return f"prop_{digest[:32]}"
