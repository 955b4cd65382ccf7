"""Hostile vocabulary and hypothesis strategies for audience rules, shared by the unit tests
and the Postgres property test. Keys and values include SQL and JSON-path tricks, quotes,
backslashes and non-ASCII text, so every generated rule is also an injection attempt."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any, get_args

from hypothesis import strategies as st

from audiences.rules import Op

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)

HOSTILE = [
    "'; DROP TABLE profiles; --",
    "a'b",
    '"quoted"',
    "back\\slash",
    "ünï€ode 🎉",
    "{a,b}",
    "$.x",
    "a.b",
    "a->>b",
    "$1",
    "%_",
    "' OR '1'='1",
]
KEYS = ["plan", "age", "tags", "signup", HOSTILE[0], HOSTILE[4]]
STRINGS = ["pro", "free", "Pro", "", "p", "pr", "2026", *HOSTILE[:5]]
NUMBERS: list[Any] = [0, 1, 2.0, 1.5, -3, 100]
DATES = [
    "2026-05-20",
    "2026-05-31T23:00:00+02:00",
    "2026-05-31T13:00:00Z",
    "2026-04-01T00:00:00.5Z",
    "2025-01-01 08:30Z",
    "2026-02-30",
    "2026-05-20T24:00:00Z",
    "2026-05-20T10:00:00",
    "not a date",
    "now",
]
STORED: list[Any] = [
    *STRINGS,
    *NUMBERS,
    *DATES,
    True,
    False,
    None,
    ["pro", "vip"],
    [1, 2],
    [],
    ["'; DROP TABLE profiles; --"],
    {"a": 1},
]
EVENT_NAMES = ["order", "view", "o'rder; DROP TABLE events"]
MOMENTS = ["now", "now-P7D", "now+PT1H", "now-P1M", "2026-05-25", "2026-05-31T10:00:00+00:00"]
DURATIONS = ["P1D", "P7D", "P30D", "PT12H"]
OPS = list(get_args(Op))  # every operator the rule model accepts


def value_for(op: str, text_only: bool) -> st.SearchStrategy[Any]:
    strings = st.sampled_from(STRINGS)
    scalars = st.sampled_from(STRINGS + NUMBERS + [True, False])
    if op in ("exists", "not_exists"):
        return st.none()
    if op in ("in", "not_in"):
        return st.lists(strings if text_only else scalars, min_size=1, max_size=3)
    if op in ("before", "after"):
        return st.sampled_from(MOMENTS)
    if op == "within_last":
        return st.sampled_from(DURATIONS)
    if op == "starts_with" or text_only:
        return strings
    if op in ("lt", "lte", "gt", "gte", "contains"):
        return st.sampled_from(STRINGS + NUMBERS)
    return scalars


def _comparison(key_name: str, keys: st.SearchStrategy[str], text_only: bool) -> Any:
    ops = [o for o in OPS if not (text_only and o in ("before", "after", "within_last"))]
    return st.sampled_from(ops).flatmap(
        lambda op: st.builds(
            lambda key, value: (
                {key_name: key, "op": op} | ({} if value is None else {"value": value})
            ),
            keys,
            value_for(op, text_only),
        )
    )


def attribute_rules() -> Any:
    return _comparison("attribute", st.sampled_from(KEYS), False)


def field_rules() -> Any:
    return _comparison("field", st.sampled_from(["email", "phone", "timezone"]), True)


@st.composite
def event_rules(draw: Any) -> dict[str, Any]:
    rule: dict[str, Any] = {"event": draw(st.sampled_from(EVENT_NAMES))}
    where = draw(
        st.lists(_comparison("property", st.sampled_from(["total", "sku"]), False), max_size=2)
    )
    if where:
        rule["where"] = where
    bounds = draw(st.sampled_from(["none", "least", "most", "both"]))
    if bounds in ("least", "both"):
        rule["at_least"] = draw(st.integers(1, 3))
    if bounds in ("most", "both"):
        rule["at_most"] = draw(st.integers(rule.get("at_least", 0), 3))
    if draw(st.booleans()):
        rule["within"] = draw(st.sampled_from(DURATIONS))
    return rule


def rules() -> Any:
    leaves = st.one_of(attribute_rules(), field_rules(), event_rules())
    return st.recursive(
        leaves,
        lambda children: st.one_of(
            st.builds(lambda xs: {"and": xs}, st.lists(children, min_size=1, max_size=3)),
            st.builds(lambda xs: {"or": xs}, st.lists(children, min_size=1, max_size=3)),
            st.builds(lambda x: {"not": x}, children),
        ),
        max_leaves=6,
    )


def dataset(
    prefix: str, n: int = 150, seed: int = 5
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Profiles (contact fields and attributes) and their events, reproducible."""
    rnd = random.Random(seed)
    profiles, events = [], []
    for i in range(n):
        pid = f"{prefix}{i:03d}" if i % 7 else f"{prefix}{i:03d}'; DROP TABLE profiles; --"
        attrs = {k: rnd.choice(STORED) for k in KEYS if rnd.random() < 0.85}
        profiles.append(
            {
                "profile_id": pid,
                "email": rnd.choice([None, "ada@example.com", "a'b@x.io", "Pro@p", ""]),
                "phone": rnd.choice([None, "+33 1 23", "p"]),
                "timezone": rnd.choice([None, "Europe/Paris", "UTC"]),
                "attributes": attrs,
            }
        )
        for j in range(rnd.randint(0, 5)):
            props: dict[str, Any] = {}
            if rnd.random() < 0.8:
                props["total"] = rnd.choice([*NUMBERS, "12", None])
            if rnd.random() < 0.6:
                props["sku"] = rnd.choice(STRINGS)
            events.append(
                {
                    "event_id": f"{pid}:{j}",
                    "name": rnd.choice(EVENT_NAMES),
                    "profile_id": pid,
                    "ts": NOW - timedelta(hours=rnd.randint(-24, 24 * 40)),
                    "properties": props,
                }
            )
    return profiles, events
