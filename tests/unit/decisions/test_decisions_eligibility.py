"""Eligibility: dates, audience, expression, and a rule that fails to evaluate."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from decisions.eligibility import Facts, eligible, eligible_offers
from decisions.model import OfferSpec

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def offer(**fields: Any) -> OfferSpec:
    return OfferSpec.model_validate(
        {"name": "o", "representations": {"hero": {"content": "x"}}, **fields}
    )


def facts(attributes: dict[str, Any] | None = None, audiences: list[str] | None = None) -> Facts:
    profile = {"profile_id": "p1", "attributes": attributes or {}, "audiences": audiences or []}
    return Facts(profile, {}, {"page": "home"}, NOW)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, True),
        ({"start_at": "2026-12-04T00:00:00Z"}, False),
        ({"end_at": "2026-12-03T12:00:00Z"}, False),
        ({"start_at": "2026-12-03T12:00:00Z", "end_at": "2026-12-03T12:00:01Z"}, True),
        ({"eligibility": {"audience": "vip"}}, True),
        ({"eligibility": {"audience": "gold"}}, False),
        ({"eligibility": {"when": "profile.attributes.plan == 'pro'"}}, True),
        ({"eligibility": {"when": "profile.attributes.plan == 'free'"}}, False),
        ({"eligibility": {"when": "context.page == 'home'"}}, True),
        ({"eligibility": {"audience": "vip", "when": "profile.attributes.age > 30"}}, False),
        ({"eligibility": {"when": "profile.attributes.missing > 1"}}, False),
        ({"fallback": True}, False),
    ],
)
def test_eligible(fields: dict[str, Any], expected: bool) -> None:
    assert eligible(offer(**fields), facts({"plan": "pro", "age": 30}, ["vip"])) is expected


def test_invalid_offers_name_the_field() -> None:
    with pytest.raises(ValidationError) as caught:
        offer(
            eligibility={"when": "profile.("},
            caps={"per_profile": {"limit": 0, "period": "P1M"}},
        )
    paths = {".".join(str(p) for p in e["loc"]) for e in caught.value.errors()}
    assert paths == {"eligibility.when", "caps.per_profile.limit", "caps.per_profile.period"}


def test_end_before_start_and_fallback_with_rules_are_refused() -> None:
    with pytest.raises(ValidationError, match="end_at must be after start_at"):
        offer(start_at="2026-12-03T00:00:00Z", end_at="2026-12-02T00:00:00Z")
    with pytest.raises(ValidationError, match="neither eligibility nor caps"):
        offer(fallback=True, eligibility={"audience": "vip"})


def test_eligible_offers_evaluate_each_rule_once_with_the_same_answers() -> None:
    rules = ["profile.attributes.age > 20", "profile.attributes.age > 40", "profile.nope > 1"]
    offers = {f"o{i}": offer(eligibility={"when": rules[i % 3]}) for i in range(9)}
    found = eligible_offers(offers, facts({"age": 30}))
    assert sorted(found) == ["o0", "o3", "o6"]
    assert found == {k: v for k, v in offers.items() if eligible(v, facts({"age": 30}))}
