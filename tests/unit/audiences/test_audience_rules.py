"""Audience rules: validation with paths, dependencies, time-relativity, reference semantics,
and a compiler that never puts user text into SQL."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any, get_args

import pytest
from hypothesis import given, settings

from audiences.rules import (
    Dependencies,
    EventFact,
    Op,
    dependencies,
    dump_rule,
    matches,
    parse_rule,
    time_relative,
)
from audiences.sql import compile_predicate, count_members, select_members
from tests.audience_data import HOSTILE, NOW, rules


def rule_of(raw: Any) -> Any:
    rule, problems = parse_rule(raw)
    assert rule is not None, problems
    return rule


def problems_of(raw: Any) -> list[tuple[str, str]]:
    rule, problems = parse_rule(raw)
    assert rule is None
    return [(p.path, p.message) for p in problems]


@pytest.mark.parametrize(
    ("raw", "path", "fragment"),
    [
        (
            {"and": [{"attribute": "a", "op": "eq", "value": 1}, {"attribute": "x", "op": "lt"}]},
            "definition.and[1].value",
            "needs a value",
        ),
        (
            {"or": [{"not": {"field": "fax", "op": "exists"}}]},
            "definition.or[0].not.field",
            "'email', 'phone' or 'timezone'",
        ),
        (
            {"event": "buy", "where": [{"property": "p", "op": "in", "value": 3}]},
            "definition.where[0].value",
            "non-empty list",
        ),
        ({"attribute": "a", "op": "like", "value": 1}, "definition.op", "Input should be"),
        ({"attribute": "a", "event": "b"}, "definition", "exactly one of"),
        ({"event": "audience.entered"}, "definition.event", "emitted by audiences"),
        ({"event": "x", "at_least": 3, "at_most": 1}, "definition.at_least", "greater than"),
        ({"event": "x", "within": "30 days"}, "definition.within", "ISO 8601"),
        ({"attribute": "d", "op": "before", "value": "last week"}, "definition.value", "now-P7D"),
        ({"attribute": "d", "op": "eq", "value": {"a": 1}}, "definition.value", "a string"),
        ({"attribute": "d", "op": "exists", "value": 1}, "definition.value", "takes no value"),
        ({"field": "email", "op": "eq", "value": 3}, "definition.value", "holds text"),
        ({"field": "email", "op": "before", "value": "now"}, "definition.value", "not dates"),
        ({"attribute": "a\x00", "op": "exists"}, "definition.attribute", "NUL"),
        ({"attribute": "a", "op": "gt", "value": float("inf")}, "definition.value", "finite"),
        ({"and": []}, "definition.and", "at least 1"),
        ({"attribute": "a", "op": "eq", "value": 1, "extra": 2}, "definition.extra", "unknown"),
    ],
)
def test_problems_name_their_path(raw: Any, path: str, fragment: str) -> None:
    found = problems_of(raw)
    assert any(p == path and fragment in m for p, m in found), found


# Every operator's refusals, literally: clients and the console show these messages.
_A, _F = "attribute", "field"
_LONG = "x" * 1001


@pytest.mark.parametrize(
    ("kind", "op", "value", "message"),
    [
        (_A, "exists", 1, "'exists' takes no value"),
        (_A, "not_exists", "a", "'not_exists' takes no value"),
        (_A, "eq", None, "'eq' needs a value"),
        (_A, "ne", float("-inf"), "numbers must be finite"),
        (_A, "eq", "a\x00", "text cannot contain the NUL character"),
        (_A, "eq", _LONG, "at most 1000 characters"),
        (_A, "eq", [1], "'eq' takes one value, not a list"),
        (_F, "ne", True, "this field holds text: the value must be a string"),
        (_A, "lt", True, "'lt' needs a number or a string"),
        (_F, "gte", 3, "'gte' needs a number or a string"),
        (_A, "contains", False, "'contains' needs a string (or a number, for arrays)"),
        (_F, "contains", 3, "'contains' needs a string (or a number, for arrays)"),
        (_A, "starts_with", 3, "'starts_with' needs a string"),
        (_A, "in", 3, "'in' needs a non-empty list"),
        (_A, "not_in", [], "'not_in' needs a non-empty list"),
        (_A, "in", [1] * 1001, "at most 1000 values"),
        (_F, "in", ["a", 1], "this field holds text: every value must be a string"),
        (_A, "in", [_LONG], "list strings are at most 1000 characters"),
        (_A, "in", [float("nan")], "numbers must be finite"),
        (_A, "before", ["now"], "'before' takes one value, not a list"),
        (_F, "after", "now", "'after' compares dates; contact fields are not dates"),
        (_A, "after", 3, "'after' needs a string"),
        (_A, "before", "now-7 days", "must be a date, a date-time with offset, or now-P7D"),
        (_A, "within_last", "2024-01-01", "must be an ISO 8601 duration like P30D"),
    ],
)
def test_each_operator_refuses_with_its_message(
    kind: str, op: str, value: Any, message: str
) -> None:
    key = "email" if kind == _F else "a"
    assert problems_of({kind: key, "op": op, "value": value}) == [("definition.value", message)]


_ACCEPTED: list[tuple[str, Any]] = [
    ("exists", None),
    ("not_exists", None),
    ("eq", True),
    ("ne", "x"),
    ("lt", 1.5),
    ("lte", "m"),
    ("gt", 0),
    ("gte", -1),
    ("contains", 3),
    ("starts_with", "pre"),
    ("in", [1, "a", False]),
    ("not_in", ["a"]),
    ("before", "2024-05-01"),
    ("after", "now+PT1H"),
    ("within_last", "P30D"),
]


@pytest.mark.parametrize(("op", "value"), _ACCEPTED)
def test_each_operator_takes_its_value(op: str, value: Any) -> None:
    raw = {"attribute": "a", "op": op} | ({} if value is None else {"value": value})
    assert rule_of(raw) is not None


def test_every_operator_is_checked() -> None:
    """A new operator needs a row of checks (and a case above)."""
    assert {op for op, _ in _ACCEPTED} == set(get_args(Op))


def test_depth_and_size_are_bounded() -> None:
    deep: Any = {"attribute": "a", "op": "exists"}
    for _ in range(9):
        deep = {"not": deep}
    assert problems_of(deep) == [("definition", "rules nest at most 8 deep")]
    wide = {"or": [{"or": [{"attribute": "a", "op": "exists"}] * 100}] * 3}
    assert ("definition", "at most 200 rules") in problems_of(wide)


def test_dependencies_and_time_relativity() -> None:
    rule = rule_of(
        {
            "and": [
                {"attribute": "plan", "op": "eq", "value": "pro"},
                {"not": {"field": "email", "op": "exists"}},
                {"event": "order", "where": [{"property": "total", "op": "gt", "value": 1}]},
            ]
        }
    )
    assert dependencies(rule) == Dependencies(
        frozenset({"plan"}), frozenset({"email"}), frozenset({"order"})
    )
    assert dependencies(rule).rows()[0] == ("attribute", "plan")
    assert not time_relative(rule)
    for relative in (
        {"attribute": "s", "op": "within_last", "value": "P30D"},
        {"attribute": "s", "op": "before", "value": "now-P7D"},
        {"event": "order", "within": "P7D"},
        {"event": "o", "where": [{"property": "d", "op": "after", "value": "now"}]},
    ):
        assert time_relative(rule_of({"or": [relative]})), relative
    assert not time_relative(rule_of({"attribute": "s", "op": "before", "value": "2026-01-01"}))


def test_dump_is_canonical_and_round_trips() -> None:
    raw = {
        "not": {
            "and": [{"event": "x", "at_most": 0}, {"attribute": "a", "op": "in", "value": [1, "b"]}]
        }
    }
    dumped = dump_rule(rule_of(raw))
    assert dumped == raw
    assert dump_rule(rule_of(dumped)) == dumped


def _m(raw: Any, attributes: dict[str, Any] | None = None, **kw: Any) -> bool:
    return matches(
        rule_of(raw),
        email=kw.get("email"),
        phone=None,
        timezone=None,
        attributes=attributes or {},
        events=kw.get("events", []),
        now=NOW,
    )


def test_reference_semantics() -> None:
    assert _m({"attribute": "n", "op": "eq", "value": 1}, {"n": 1.0})
    assert not _m({"attribute": "n", "op": "eq", "value": 1}, {"n": True})
    assert not _m({"attribute": "n", "op": "eq", "value": "1"}, {"n": 1})
    assert _m({"attribute": "n", "op": "ne", "value": 1}, {})  # missing: not equal
    assert not _m({"attribute": "n", "op": "gt", "value": 1}, {"n": "2"})  # typed
    assert _m({"attribute": "s", "op": "lt", "value": "b"}, {"s": "B"})  # code points
    assert _m({"attribute": "t", "op": "contains", "value": "vip"}, {"t": ["a", "vip"]})
    assert _m({"attribute": "t", "op": "contains", "value": "ip"}, {"t": "vip"})
    assert not _m({"attribute": "t", "op": "contains", "value": "ip"}, {"t": ["vip"]})
    assert not _m({"attribute": "t", "op": "exists"}, {"t": None})
    recent = (NOW - timedelta(days=3)).isoformat()
    assert _m({"attribute": "d", "op": "within_last", "value": "P7D"}, {"d": recent})
    assert _m({"attribute": "d", "op": "after", "value": "now-P7D"}, {"d": recent})
    assert not _m({"attribute": "d", "op": "before", "value": "now-P7D"}, {"d": recent})
    assert _m({"attribute": "d", "op": "before", "value": "now-P7D"}, {"d": "2026-05-01"})
    assert not _m({"attribute": "d", "op": "before", "value": "now"}, {"d": "2026-02-30"})
    assert not _m({"attribute": "d", "op": "before", "value": "now"}, {"d": "2026-01-01T10:00"})

    def ev(days: int, total: int) -> EventFact:
        return EventFact("order", NOW - timedelta(days=days), {"total": total})

    history = [ev(1, 50), ev(2, 150), ev(40, 300)]
    assert _m({"event": "order"}, events=history)
    assert _m({"event": "order", "at_least": 3}, events=history)
    assert not _m({"event": "order", "at_least": 3, "within": "P30D"}, events=history)
    assert _m(
        {
            "event": "order",
            "at_most": 1,
            "where": [{"property": "total", "op": "gt", "value": 100}],
            "within": "P30D",
        },
        events=history,
    )
    assert _m({"event": "refund", "at_most": 0}, events=history)
    assert not _m({"event": "order", "at_most": 0}, events=history)


@settings(max_examples=150, deadline=None)
@given(raw=rules())
def test_no_user_text_reaches_the_sql(raw: Any) -> None:
    """Whatever the rule, its SQL is built from fixed fragments and `$n` placeholders."""
    rule = rule_of(raw)
    for compiled in (
        select_members(rule, NOW),
        select_members(rule, NOW, ["x'; DROP TABLE profiles; --"]),
        count_members(rule, NOW),
    ):
        placeholders = {int(n) for n in re.findall(r"\$(\d+)", compiled.sql)}
        assert placeholders == set(range(1, len(compiled.params) + 1))
        assert "'" not in re.sub(
            r"'(null|string|number|array|date|timestamptz|UTC|\[\])'", "", compiled.sql
        )
        for text in (t for t in HOSTILE if t != "$1"):
            assert text not in compiled.sql


def test_hostile_keys_and_values_are_parameters() -> None:
    key = "'; DROP TABLE profiles; --"
    rule = rule_of({"attribute": key, "op": "eq", "value": "a\\'b"})
    compiled = compile_predicate(rule, NOW)
    assert compiled.sql == "(p.attributes @> jsonb_build_object($1::text, ($2::text)::jsonb))"
    assert compiled.params == [key, '"a\\\\\'b"']


def test_relative_dates_resolve_against_the_given_now() -> None:
    rule = rule_of({"attribute": "d", "op": "before", "value": "now-P7D"})
    later = datetime(2027, 1, 1, tzinfo=UTC)
    assert compile_predicate(rule, NOW).params[1] == NOW - timedelta(days=7)
    assert compile_predicate(rule, later).params[1] == later - timedelta(days=7)


def test_scoped_queries_restrict_profiles_and_event_scans() -> None:
    rule = rule_of({"event": "order", "at_least": 2})
    compiled = select_members(rule, NOW, ["a", "b"])
    assert compiled.params[0] == ["a", "b"]
    assert compiled.sql.count("ANY($1::text[])") == 2
    assert "HAVING count(*) >= $3::bigint" in compiled.sql
