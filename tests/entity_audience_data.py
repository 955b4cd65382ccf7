"""Entity types, reproducible records and hypothesis strategies for entity audience rules.

Shared by the unit tests and the Postgres property test. Stored strings and rule values
include the hostile vocabulary of `tests.audience_data`, so every rule is also an
injection attempt; the types cover every field kind, a path through a relation, and a
`view` type that reaches profiles from `product`.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from hypothesis import strategies as st

from audiences.entity_check import OPS_BY_KIND
from entities.model import Definition
from tests.audience_data import DURATIONS, HOSTILE, MOMENTS, NOW, STRINGS

STATUSES = ["confirmed", "held", "cancelled"]
NUMBERS = [0, 1, 2.5, -3, 100, 250]
CITIES = ["Lyon", "Paris", "lyon", *HOSTILE[:3]]

TYPES: dict[str, Definition] = {
    name: Definition.model_validate(raw)
    for name, raw in {
        "hotel": {
            "fields": {
                "id": {"type": "string"},
                "city": {"type": "string"},
                "stars": {"type": "number"},
                "open": {"type": "boolean"},
            },
            "primary_key": "id",
        },
        "booking": {
            "fields": {
                "id": {"type": "string"},
                "status": {"type": "enum", "values": STATUSES},
                "total": {"type": "number"},
                "departure": {"type": "timestamp"},
                "day": {"type": "date"},
                "meta": {"type": "json"},
            },
            "primary_key": "id",
            "relations": {"guest": {"to": "profile"}, "hotel": {"to": "hotel"}},
        },
        "product": {
            "fields": {
                "sku": {"type": "number"},
                "stock": {"type": "number"},
                "name": {"type": "string"},
            },
            "primary_key": "sku",
        },
        "view": {
            "fields": {"id": {"type": "string"}, "at": {"type": "timestamp"}},
            "primary_key": "id",
            "relations": {"who": {"to": "profile"}, "product": {"to": "product"}},
        },
    }.items()
}
ORDER = ["hotel", "booking", "product", "view"]  # relations point backwards only

# The fields a condition may test on each type, with their kind.
FIELDS = {
    "booking": {
        "status": "enum",
        "total": "number",
        "departure": "timestamp",
        "day": "date",
        "meta": "json",
        "guest": "string",
        "hotel": "string",
        "hotel.city": "string",
        "hotel.stars": "number",
        "hotel.open": "boolean",
        "_created_at": "timestamp",
    },
    "product": {"stock": "number", "name": "string", "sku": "number"},
    "view": {"at": "timestamp", "_created_at": "timestamp", "product.stock": "number"},
}


def _moment(rnd: random.Random) -> Any:
    return NOW + timedelta(hours=rnd.randint(-24 * 120, 24 * 30))


def records(profile_ids: list[str], seed: int = 11) -> dict[str, list[dict[str, Any]]]:
    """Records of every type; some relations point at nothing or at unknown profiles."""
    rnd = random.Random(seed)
    guests = [*profile_ids, "nobody", None]
    hotels = [
        {
            "id": f"h{i}'",
            "city": rnd.choice([*CITIES, None]),
            "stars": rnd.choice([*NUMBERS, None]),
            "open": rnd.choice([True, False, None]),
        }
        for i in range(6)
    ]
    hotels[0]["city"] = "Lyon"  # a rule on it has something to find
    bookings = [
        {
            "id": f"b{i}",
            "status": rnd.choice([*STATUSES, None]),
            "total": rnd.choice([*NUMBERS, None]),
            "departure": rnd.choice([_moment(rnd), None]),
            "day": rnd.choice([date(2026, 5, rnd.randint(1, 31)), date(2026, 6, 3), None]),
            "meta": rnd.choice([{"a": 1}, [1], "x", None]),
            "guest": rnd.choice(guests),
            "hotel": rnd.choice([h["id"] for h in hotels] + ["h-missing", None]),
        }
        for i in range(90)
    ]
    products = [
        {"sku": float(i), "stock": rnd.choice([*NUMBERS, None]), "name": rnd.choice(STRINGS)}
        for i in range(8)
    ]
    views = [
        {
            "id": f"v{i}",
            "at": rnd.choice([_moment(rnd), None]),
            "who": rnd.choice(guests),
            "product": rnd.choice([p["sku"] for p in products] + [99.0, None]),
        }
        for i in range(70)
    ]
    out = {"hotel": hotels, "booking": bookings, "product": products, "view": views}
    for rows in out.values():
        for r in rows:
            r["_created_at"] = NOW - timedelta(hours=rnd.randint(0, 24 * 200))
            r["_updated_at"] = r["_created_at"]
    return out


def _value(kind: str, op: str) -> st.SearchStrategy[Any]:
    if op in ("exists", "not_exists"):
        return st.none()
    if op in ("before", "after"):
        return st.sampled_from(MOMENTS)
    if op in ("within_last", "within_next"):
        return st.sampled_from([*DURATIONS, "P90D"])
    one = {
        "enum": st.sampled_from(STATUSES)
        if op in ("eq", "ne", "in", "not_in")
        else st.sampled_from(STRINGS + STATUSES),
        "string": st.sampled_from(STRINGS + CITIES + ["h1'", "nobody"]),
        "number": st.sampled_from([*NUMBERS, 3.0]),
        "boolean": st.booleans(),
    }[kind]
    if op in ("in", "not_in"):
        return st.lists(one, min_size=1, max_size=3)
    return one


def conditions(type_name: str) -> Any:
    fields = FIELDS[type_name]

    def build(field: str) -> Any:
        kind = fields[field]
        return st.sampled_from(sorted(OPS_BY_KIND[kind])).flatmap(
            lambda op: _value(kind, op).map(
                lambda v: {"field": field, "op": op} | ({} if v is None else {"value": v})
            )
        )

    return st.sampled_from(sorted(fields)).flatmap(build)


@st.composite
def _tests(draw: Any, rule: dict[str, Any], numbers: list[str]) -> dict[str, Any]:
    shape = draw(st.sampled_from(["has", "least", "most", "both", "aggregate"]))
    if shape in ("least", "both"):
        rule["at_least"] = draw(st.integers(1, 3))
    if shape in ("most", "both"):
        rule["at_most"] = draw(st.integers(rule.get("at_least", 0), 3))
    if shape == "aggregate":
        fn = draw(st.sampled_from(["count", "sum", "min", "max", "avg"]))
        agg: dict[str, Any] = {
            "fn": fn,
            "op": draw(st.sampled_from(["eq", "ne", "lt", "lte", "gt", "gte"])),
        }
        agg["value"] = draw(st.sampled_from([0, 1, 2, 2.5, 100, 250, -3]))
        if fn != "count":
            agg["field"] = draw(st.sampled_from(numbers))
        rule["aggregate"] = agg
    return rule


@st.composite
def booking_rules(draw: Any) -> dict[str, Any]:
    rule: dict[str, Any] = {"entity": "booking"}
    where = draw(st.lists(conditions("booking"), max_size=3))
    if where:
        rule["where"] = where
    if draw(st.booleans()):
        rule["within"] = draw(st.sampled_from(["P30D", "P90D", "PT12H"]))
        on = draw(st.sampled_from([None, "departure", "day", "_created_at"]))
        if on:
            rule["on"] = on
    return draw(_tests(rule, ["total", "hotel.stars"]))


@st.composite
def product_rules(draw: Any) -> dict[str, Any]:
    via: dict[str, Any] = {"entity": "view", "relation": "product"}
    link_where = draw(st.lists(conditions("view"), max_size=2))
    if link_where:
        via["where"] = link_where
    rule: dict[str, Any] = {"entity": "product", "via": via}
    where = draw(st.lists(conditions("product"), max_size=2))
    if where:
        rule["where"] = where
    return draw(_tests(rule, ["stock"]))


def entity_rules() -> Any:
    leaves = st.one_of(booking_rules(), product_rules())
    return st.recursive(
        leaves,
        lambda children: st.one_of(
            st.builds(lambda xs: {"and": xs}, st.lists(children, min_size=1, max_size=3)),
            st.builds(lambda xs: {"or": xs}, st.lists(children, min_size=1, max_size=3)),
            st.builds(lambda x: {"not": x}, children),
        ),
        max_leaves=4,
    )
