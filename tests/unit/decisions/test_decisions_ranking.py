"""Ranking: priority, formula, and the bandit's seeded exploration and its convergence."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from decisions.eligibility import Facts
from decisions.model import OfferSpec, Ranking
from decisions.ranking import Arm, by_thompson, proposition_id, rank, seed

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
FACTS = Facts({"profile_id": "p1", "attributes": {"tier": 2}, "audiences": ["vip"]}, {}, {}, NOW)


def offer(priority: int = 0, **fields: Any) -> OfferSpec:
    return OfferSpec.model_validate(
        {"name": "o", "priority": priority, "representations": {"hero": {"content": "x"}}, **fields}
    )


def test_priority_ranks_high_first_and_ties_by_id() -> None:
    offers = {"b": offer(5), "a": offer(5), "c": offer(9)}
    ranked = rank(offers, Ranking(), FACTS, {}, 0)
    assert [(s.offer_id, s.score, s.reason) for s in ranked] == [
        ("c", 9.0, "priority"),
        ("a", 5.0, "priority"),
        ("b", 5.0, "priority"),
    ]


def test_formula_reads_offer_and_profile_and_drops_non_numbers() -> None:
    offers = {
        "gold": offer(1, attributes={"margin": 10}),
        "plain": offer(50, attributes={"margin": 1}),
        "broken": offer(99),
    }
    formula = "offer.attributes.margin * profile.attributes.tier + offer.priority"
    ranked = rank(offers, Ranking(method="formula", formula=formula), FACTS, {}, 0)
    assert [(s.offer_id, s.score) for s in ranked] == [("plain", 52.0), ("gold", 21.0)]


def test_seed_and_proposition_id_are_pinned() -> None:
    # Persisted (propositions) and named by offer events: a change would orphan them.
    assert seed("p1", "r1") == 17189702960683781964
    assert proposition_id("spring", "r1") == "prop_9d0f460cd572f974a6e2846258528aa4"


def test_exploration_is_deterministic_per_profile_and_request() -> None:
    offers = {name: offer() for name in "abcde"}
    arms = {name: Arm(10, 2) for name in offers}
    first = by_thompson(offers, arms, seed("p1", "r1"))
    assert by_thompson(offers, arms, seed("p1", "r1")) == first
    assert by_thompson(offers, arms, seed("p1", "r2")) != first
    # Across requests every equal arm gets explored.
    tops = Counter(by_thompson(offers, arms, seed("p1", f"r{i}"))[0].offer_id for i in range(200))
    assert set(tops) == set(offers) and min(tops.values()) > 15


def test_thompson_converges_on_the_best_click_through_rate() -> None:
    rates = {"low": 0.02, "mid": 0.05, "high": 0.12}
    offers = {name: offer() for name in rates}
    arms = {name: Arm() for name in rates}
    world = random.Random(7)  # the simulated visitors, apart from the bandit's own draws
    late: Counter[str] = Counter()
    for i in range(3000):
        top = by_thompson(offers, arms, seed(f"p{i % 97}", f"r{i}"))[0].offer_id
        clicked = world.random() < rates[top]
        arm = arms[top]
        arms[top] = Arm(arm.propositions + 1, arm.goals + clicked)
        if i >= 2500:
            late[top] += 1
    assert late["high"] > 400
    others = arms["mid"].propositions + arms["low"].propositions
    assert arms["high"].propositions > 10 * others
    assert abs(arms["high"].estimate - 0.12) < 0.03


def test_arm_estimate_is_the_posterior_mean() -> None:
    assert Arm().estimate == 0.5
    assert Arm(8, 2).estimate == 0.3
