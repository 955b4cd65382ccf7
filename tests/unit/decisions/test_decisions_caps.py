"""Cap arithmetic and selection: windows, room, exclusions, count per placement, fallback."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from decisions.caps import (
    SHARDS,
    TOTAL_SCOPE,
    CounterKey,
    Limit,
    has_room,
    limits,
    shard_of,
    share,
    window_start,
)
from decisions.catalog import Catalog
from decisions.eligibility import Facts
from decisions.model import OfferSpec, PlacementSpec, PolicySpec
from decisions.selection import Chosen, Picker, candidates

NOW = datetime(2026, 12, 3, 13, 45, 10, tzinfo=UTC)


def offer(**fields: Any) -> OfferSpec:
    return OfferSpec.model_validate(
        {
            "name": "o",
            "representations": {"hero": {"content": "x"}, "side": {"content": "y"}},
            **fields,
        }
    )


def test_windows_are_fixed_epoch_periods() -> None:
    assert window_start(NOW, None) == 0
    assert window_start(NOW, 86400) == int(datetime(2026, 12, 3, tzinfo=UTC).timestamp())
    assert window_start(NOW, 3600) == int(datetime(2026, 12, 3, 13, tzinfo=UTC).timestamp())


def test_limits_per_profile_and_total() -> None:
    capped = offer(caps={"per_profile": {"limit": 2, "period": "P1D"}, "total": {"limit": 100}})
    day = int(datetime(2026, 12, 3, tzinfo=UTC).timestamp())
    assert limits("o1", capped, "p1", NOW) == [
        Limit(CounterKey("o1", "p1", day), 2),
        Limit(CounterKey("o1", TOTAL_SCOPE, 0), 100),
    ]
    assert limits("o1", offer(), "p1", NOW) == []


def test_room_needs_every_counter_under_its_limit() -> None:
    found = [Limit(CounterKey("o", "p", 0), 2), Limit(CounterKey("o", "", 0), 5)]
    assert has_room(found, {})
    assert has_room(found, {CounterKey("o", "p", 0): 1, CounterKey("o", "", 0): 4})
    assert not has_room(found, {CounterKey("o", "p", 0): 2})
    assert not has_room(found, {CounterKey("o", "", 0): 5})


def policy(**fields: Any) -> PolicySpec:
    return PolicySpec.model_validate(
        {"name": "p", "placements": ["hero"], "candidates": {"tags": ["spring"]}, **fields}
    )


def test_candidates_by_tag_or_name_without_fallbacks() -> None:
    offers = {
        "a": offer(tags=["spring"]),
        "b": offer(tags=["winter"]),
        "c": offer(),
        "f": offer(tags=["spring"], fallback=True),
    }
    chosen = candidates(policy(candidates={"tags": ["spring"], "offers": ["c"]}), offers)
    assert sorted(chosen) == ["a", "c"]


def test_picker_exclusive_tags_count_and_fallback() -> None:
    picker = Picker(
        policy(placements=["hero", "side"], count=2, exclusive_tags=["shoes"], fallback="house")
    )
    shoes, boots, hat = offer(tags=["shoes"]), offer(tags=["shoes"]), offer(tags=["hats"])
    assert picker.admits("shoes1", shoes, "hero")
    picker.take(Chosen("shoes1", "hero", 1.0, "priority"), shoes)
    assert not picker.admits("boots", boots, "hero")  # a second offer tagged shoes
    assert not picker.admits("shoes1", shoes, "side")  # never the same offer twice
    assert picker.admits("hat", hat, "hero")
    picker.take(Chosen("hat", "hero", 0.5, "priority"), hat)
    assert picker.full("hero") and not picker.full("side")
    assert picker.fallbacks() == [Chosen("house", "side", None, "fallback")]


def test_catalog_ranks_a_priority_policy_once_per_version() -> None:
    offers = {
        "a": offer(tags=["spring"], priority=1),
        "b": offer(tags=["spring"], priority=9),
        "f": offer(tags=["spring"], fallback=True),
    }
    hero = PlacementSpec(name="Hero", channel="web", content_type="text")
    catalog = Catalog(1, {"hero": hero}, offers, {"spring": policy()})
    facts = Facts({"profile_id": "p1"}, {}, {}, NOW)
    first = catalog.ranked("spring", facts, {}, 1)
    assert [s.offer_id for s in first] == ["b", "a"]
    assert catalog.ranked("spring", facts, {}, 2) is first  # not sorted again per request


def test_the_shares_of_a_total_add_up_to_its_limit() -> None:
    assert SHARDS == 16
    assert [share(20, s) for s in range(SHARDS)] == [2] * 4 + [1] * 12
    assert [share(3, s) for s in range(SHARDS)] == [1, 1, 1] + [0] * 13
    for limit in (0, 1, 15, 16, 17, 1000, 12345):
        assert sum(share(limit, s) for s in range(SHARDS)) == limit


def test_a_request_starts_at_its_own_shard() -> None:
    assert shard_of("req-1") == 1  # crc32: the same on every process and replay
    assert shard_of("req-1") != shard_of("req-2")


def test_a_total_has_room_while_its_shards_sum_below_the_limit() -> None:
    total = [Limit(CounterKey("o", TOTAL_SCOPE, 0), 3)]
    spread = {CounterKey("o", TOTAL_SCOPE, 0, s): 1 for s in (0, 7)}
    assert has_room(total, spread)
    assert not has_room(total, spread | {CounterKey("o", TOTAL_SCOPE, 0, 9): 1})
