"""Entity audience rules: their shape, their checks against the entity types (every problem
with its path), what they need of the types (columns, reach paths for the triggers), and a
compiler that never puts a value into SQL."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import given, settings

from audiences.entity_check import problems, reach, uses
from audiences.rules import parse_rule, time_relative
from audiences.sql import select_members
from tests.audience_data import HOSTILE, NOW
from tests.entity_audience_data import TYPES, entity_rules


def rule_of(raw: Any) -> Any:
    rule, found = parse_rule(raw)
    assert rule is not None, found
    return rule


def shape_problems(raw: Any) -> list[tuple[str, str]]:
    rule, found = parse_rule(raw)
    assert rule is None
    return [(p.path, p.message) for p in found]


def type_problems(raw: Any) -> list[tuple[str, str]]:
    return [(p.path, p.message) for p in problems(rule_of(raw), TYPES)]


def test_the_shape_is_checked_with_paths() -> None:
    assert shape_problems({"not": {"entity": "booking", "where": [{"field": "x", "op": "nope"}]}})[
        0
    ][0] == ("definition.not.where[0].op")
    assert shape_problems(
        {"entity": "booking", "at_least": 1, "aggregate": {"fn": "count", "op": "gt", "value": 1}}
    ) == [("definition.aggregate", "cannot be combined with at_least or at_most")]
    assert shape_problems(
        {"entity": "booking", "aggregate": {"fn": "sum", "op": "gt", "value": 1}}
    ) == [("definition.aggregate.field", "sum needs a number field")]
    assert shape_problems({"entity": "booking", "on": "departure"}) == [
        ("definition.on", "names the field of a window; give within too")
    ]
    assert shape_problems(
        {"entity": "booking", "where": [{"field": "departure", "op": "within_next", "value": "7d"}]}
    ) == [("definition.where[0].value", "must be an ISO 8601 duration like P30D")]


def test_every_problem_against_the_types_is_named() -> None:
    raw = {
        "or": [
            {"entity": "nope"},
            {"entity": "product"},
            {"entity": "product", "via": {"entity": "booking", "relation": "hotel"}},
            {
                "entity": "booking",
                "within": "P7D",
                "on": "status",
                "where": [
                    {"field": "status", "op": "eq", "value": "lost"},
                    {"field": "total", "op": "eq", "value": "12"},
                    {"field": "hotel.open", "op": "contains", "value": "x"},
                    {"field": "guest.name", "op": "exists"},
                    {"field": "hotel.nope", "op": "exists"},
                    {"field": "a.b.c.d.e", "op": "exists"},
                    {"field": "meta", "op": "eq", "value": 1},
                ],
                "aggregate": {"fn": "avg", "field": "hotel.city", "op": "gt", "value": 1},
            },
        ]
    }
    assert type_problems(raw) == [
        ("definition.or[0].entity", "no entity type 'nope'"),
        (
            "definition.or[1].entity",
            "product has no relation to the profile: reach profiles with via",
        ),
        ("definition.or[2].via.relation", "must be a relation of booking to product"),
        ("definition.or[3].where[0].value", "'lost' is not one of confirmed, held, cancelled"),
        ("definition.or[3].where[1].value", "total is a number field: compare it with numbers"),
        (
            "definition.or[3].where[2].op",
            "'contains' does not apply to a boolean field (use eq, exists, ne, not_exists)",
        ),
        (
            "definition.or[3].where[3].field",
            "'guest' points at the profile, which a path cannot follow",
        ),
        ("definition.or[3].where[4].field", "'nope' is not a field or relation of hotel"),
        ("definition.or[3].where[5].field", "a path follows at most 3 relations"),
        (
            "definition.or[3].where[6].op",
            "'eq' does not apply to a json field (use exists, not_exists)",
        ),
        ("definition.or[3].on", "must be a timestamp or date field of booking"),
        (
            "definition.or[3].aggregate.field",
            "an aggregate needs a number field; hotel.city is a string field",
        ),
    ]


def test_hostile_names_are_problems_never_sql() -> None:
    hostile = HOSTILE[0]
    raw = {
        "or": [
            {"entity": hostile},
            {"entity": "product", "via": {"entity": "view", "relation": hostile}},
            {"entity": "booking", "where": [{"field": f"hotel.{hostile}", "op": "exists"}]},
            {"entity": "booking", "within": "P1D", "on": hostile},
        ]
    }
    assert [path for path, _ in type_problems(raw)] == [
        "definition.or[0].entity",
        "definition.or[1].via.relation",
        "definition.or[2].where[0].field",
        "definition.or[3].on",
    ]


def test_reach_paths_lead_each_read_type_back_to_profiles() -> None:
    booking = rule_of(
        {"entity": "booking", "where": [{"field": "hotel.city", "op": "eq", "value": "Lyon"}]}
    )
    assert reach(booking, TYPES) == {"booking.guest", "hotel.id/booking.hotel.guest"}
    viewed = rule_of(
        {
            "entity": "product",
            "via": {
                "entity": "view",
                "relation": "product",
                "where": [{"field": "product.stock", "op": "gt", "value": 1}],
            },
        }
    )
    assert reach(viewed, TYPES) == {
        "view.who",
        "product.sku/view.product.who",
    }
    assert uses(booking, TYPES) == {
        ("booking", None),
        ("hotel", None),
        ("booking", "hotel"),
        ("hotel", "city"),
    }


def test_windows_and_relative_moments_are_time_relative() -> None:
    assert time_relative(rule_of({"entity": "booking", "within": "P7D"}))
    cond = {"field": "departure", "op": "within_next", "value": "P7D"}
    assert time_relative(rule_of({"entity": "booking", "where": [cond]}))
    absolute = {"field": "departure", "op": "after", "value": "2026-01-01"}
    assert not time_relative(rule_of({"entity": "booking", "where": [absolute]}))


@settings(max_examples=150, deadline=None)
@given(raw=entity_rules())
def test_values_only_ever_are_parameters(raw: dict[str, Any]) -> None:
    rule = rule_of(raw)
    compiled = select_members(rule, NOW, ["p1"], TYPES)
    for value in HOSTILE:
        assert value == "$1" or value not in compiled.sql
    # Every literal in the SQL is one of the compiler's own.
    literals = set(re.findall(r"'[^']*'", compiled.sql))
    assert literals <= {"'UTC'"}, literals
