"""Whether an offer may be proposed to a profile now: dates, audience, expression."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from decisions.model import OfferSpec
from journeys.expressions import ExpressionError, compile_expression


@dataclass(frozen=True)
class Facts:
    """What an eligibility rule and a formula read: `profile` holds its `audiences` ids."""

    profile: Mapping[str, Any]
    event: Mapping[str, Any]
    context: Mapping[str, Any]
    now: datetime

    def scope(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "event": self.event,
            "context": self.context,
            "now": self.now,
        }


def in_dates(offer: OfferSpec, now: datetime) -> bool:
    starts, ends = offer.start_at, offer.end_at
    return (starts is None or starts <= now) and (ends is None or now < ends)


def eligible(offer: OfferSpec, facts: Facts, memo: dict[str, bool] | None = None) -> bool:
    """A rule that fails to evaluate (a missing attribute) makes the offer ineligible.

    `memo` keeps each rule's answer for these facts: offers sharing a rule (a catalog's
    common case) cost one evaluation, about 35 µs each, per request rather than one each."""
    if offer.fallback or not in_dates(offer, facts.now):
        return False
    rule = offer.eligibility
    if rule is None:
        return True
    if rule.audience is not None and rule.audience not in facts.profile.get("audiences", ()):
        return False
    if rule.when is None:
        return True
    if memo is None:
        return _holds(rule.when, facts)
    if rule.when not in memo:
        memo[rule.when] = _holds(rule.when, facts)
    return memo[rule.when]


def _holds(when: str, facts: Facts) -> bool:
    try:
        return bool(compile_expression(when).evaluate(facts.scope()))
    except ExpressionError:
        return False


class Eligibility:
    """Whether offers are eligible for one request's facts, each distinct rule evaluated
    once: asked lazily in rank order, it evaluates only as far as the placements need."""

    def __init__(self, facts: Facts) -> None:
        self.facts = facts
        self._memo: dict[str, bool] = {}

    def __call__(self, offer: OfferSpec) -> bool:
        return eligible(offer, self.facts, self._memo)


def eligible_offers(offers: Mapping[str, OfferSpec], facts: Facts) -> dict[str, OfferSpec]:
    """The offers the profile may get now, each distinct rule evaluated once."""
    check = Eligibility(facts)
    return {oid: offer for oid, offer in offers.items() if check(offer)}
