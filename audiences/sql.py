"""Compile an audience rule tree to parameterized SQL over `profiles p` (pure).

No user text ever reaches the SQL text: attribute and property keys, event names, values,
dates and counts are all bind parameters (`$n`), and the only identifiers are the fixed
columns below and, for entity rules (`audiences.entity_sql`), the checked and quoted names
of the entity definitions. Every predicate is two-valued (COALESCE to false), so `NOT` negates
exactly as `audiences.rules.matches` does, and missing attributes never leak NULL.

`now` is an input: relative dates and event windows are resolved to timestamps here, so
the same compiled query gives the same answer whenever it runs.

Performance notes: `eq` on an attribute is a jsonb containment (`@>`), which the GIN
`jsonb_path_ops` index answers; event conditions are `profile_id IN (subquery)`, which
Postgres runs as one hashed (semi-)join over the `events (name, ts)` index instead of a
lookup per profile. With `scoped=True`, `$1` is an array of profile ids that restricts
the profiles and every event subquery (per-profile re-evaluation).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from audiences.entity_sql import EntityCompiler
from audiences.rules import (
    DATE_RE,
    DATETIME_RE,
    AndRule,
    AttributeRule,
    Comparison,
    EntityRule,
    EventRule,
    FieldRule,
    NotRule,
    OrRule,
    Rule,
    canonical_json,
    resolve_moment,
)
from entities.model import Definition
from journeys.durations import parse_duration

EntityTypes = Mapping[str, Definition]

# The only identifiers: fixed columns chosen by the rule kind, never by user text.
_CONTACT_COLUMNS = {"email": "p.email", "phone": "p.phone", "timezone": "p.timezone"}
_UTC = "'UTC'"
_ORDER_SQL = {"lt": "<", "lte": "<=", "gt": ">", "gte": ">="}
_CASTS = (
    "text",
    "text[]",
    "timestamptz",
    "bigint",
    "double precision",
    "double precision[]",
    "boolean",
)


@dataclass(frozen=True)
class CompiledQuery:
    sql: str
    params: list[Any]


class _Binder:
    """Collects bind parameters; every value enters the SQL as `$n::type`."""

    def __init__(self, params: list[Any] | None = None) -> None:
        self.params: list[Any] = params or []

    def bind(self, value: Any, cast: str) -> str:
        assert cast in _CASTS
        self.params.append(value)
        return f"${len(self.params)}::{cast}"

    def json(self, value: Any) -> str:
        return f"({self.bind(canonical_json(value), 'text')})::jsonb"

    def json_list(self, values: list[Any]) -> str:
        return f"({self.bind([canonical_json(v) for v in values], 'text[]')})::jsonb[]"


class _Compiler:
    def __init__(self, now: datetime, scoped: bool, types: EntityTypes) -> None:
        self.now = now
        self.scope: str | None = None
        self.b = _Binder()
        if scoped:
            self.scope = "$1::text[]"
            self.b.params.append(None)  # filled by the caller with the profile ids
        self.entities = EntityCompiler(self.b, types, now, self.scope)

    def rule(self, node: Rule) -> str:
        if isinstance(node, AndRule):
            return "(" + " AND ".join(self.rule(c) for c in node.all_of) + ")"
        if isinstance(node, OrRule):
            return "(" + " OR ".join(self.rule(c) for c in node.any_of) + ")"
        if isinstance(node, NotRule):
            return f"(NOT {self.rule(node.negated)})"
        if isinstance(node, AttributeRule):
            return self.json_comparison("p.attributes", node.attribute, node)
        if isinstance(node, FieldRule):
            return self.text_comparison(_CONTACT_COLUMNS[node.field], node)
        if isinstance(node, EntityRule):
            return self.entities.rule(node)
        assert isinstance(node, EventRule)
        return self.event(node)

    # --- jsonb (attributes, event properties) --------------------------------------------

    def json_comparison(self, source: str, key: str, node: Comparison) -> str:
        op, value = node.op, node.value
        if op in ("ne", "not_exists", "not_in"):
            positive = {"ne": "eq", "not_exists": "exists", "not_in": "in"}[op]
            inner = self.json_comparison(source, key, node.model_copy(update={"op": positive}))
            return f"(NOT {inner})"
        k = self.b.bind(key, "text")
        item = f"({source} -> {k})"
        text = f"({source} ->> {k})"
        if op == "exists":
            return f"COALESCE(jsonb_typeof({item}) <> 'null', false)"
        if op == "eq":
            # Containment: answered by the GIN jsonb_path_ops index; a scalar is contained
            # only by an equal scalar (numbers by value).
            return f"({source} @> jsonb_build_object({k}, {self.b.json(value)}))"
        if op == "in":
            assert isinstance(value, list)
            return f"COALESCE({item} = ANY({self.b.json_list(value)}), false)"
        if op in _ORDER_SQL:
            sign = _ORDER_SQL[op]
            if isinstance(value, str):
                v = self.b.bind(value, "text")
                return (
                    f"COALESCE(jsonb_typeof({item}) = 'string' "
                    f'AND {text} COLLATE "C" {sign} {v}, false)'
                )
            number = self.b.json(value)
            return f"COALESCE(jsonb_typeof({item}) = 'number' AND {item} {sign} {number}, false)"
        if op == "contains":
            array = f"WHEN 'array' THEN {item} @> jsonb_build_array({self.b.json(value)})"
            string = ""
            if isinstance(value, str):
                string = f"WHEN 'string' THEN strpos({text}, {self.b.bind(value, 'text')}) > 0 "
            return f"COALESCE(CASE jsonb_typeof({item}) {string}{array} ELSE false END, false)"
        if op == "starts_with":
            v = self.b.bind(value, "text")
            return f"COALESCE(jsonb_typeof({item}) = 'string' AND starts_with({text}, {v}), false)"
        return self.date_comparison(item, text, node)

    def date_comparison(self, item: str, text: str, node: Comparison) -> str:
        """Only ISO dates (midnight UTC) and date-times with an offset are dates.

        Ordered for speed: the cast runs only on text Postgres can parse, and the exact
        format check (a regular expression, the costly part) only on values that already
        pass the comparison.
        """
        assert isinstance(node.value, str)
        if node.op == "within_last":
            since = self.b.bind(self.now - parse_duration(node.value), "timestamptz")
            until = self.b.bind(self.now, "timestamptz")

            def test(moment: str) -> str:
                return f"tstzrange({since}, {until}, '[]') @> {moment}"
        else:
            bound = self.b.bind(resolve_moment(node.value, self.now), "timestamptz")
            sign = "<" if node.op == "before" else ">"

            def test(moment: str) -> str:
                return f"{moment} {sign} {bound}"

        date_re = self.b.bind(DATE_RE, "text")
        datetime_re = self.b.bind(DATETIME_RE, "text")
        return (
            f"COALESCE(CASE WHEN jsonb_typeof({item}) <> 'string' THEN false "
            f"WHEN length({text}) = 10 THEN CASE WHEN {text} ~ {date_re} "
            f"AND pg_input_is_valid({text}, 'date') "
            f"THEN {test(f'(({text})::date::timestamp AT TIME ZONE {_UTC})')} ELSE false END "
            f"WHEN NOT pg_input_is_valid({text}, 'timestamptz') THEN false "
            f"WHEN {test(f'({text})::timestamptz')} THEN {text} ~ {datetime_re} "
            f"ELSE false END, false)"
        )

    # --- text columns (contact fields) ---------------------------------------------------

    def text_comparison(self, column: str, node: Comparison) -> str:
        op, value = node.op, node.value
        if op in ("ne", "not_exists", "not_in"):
            positive = {"ne": "eq", "not_exists": "exists", "not_in": "in"}[op]
            return f"(NOT {self.text_comparison(column, node.model_copy(update={'op': positive}))})"
        if op == "exists":
            return f"({column} IS NOT NULL)"
        if op == "in":
            return f"COALESCE({column} = ANY({self.b.bind(value, 'text[]')}), false)"
        v = self.b.bind(value, "text")
        if op == "eq":
            return f"COALESCE({column} = {v}, false)"
        if op in _ORDER_SQL:
            return f'COALESCE({column} COLLATE "C" {_ORDER_SQL[op]} {v}, false)'
        if op == "contains":
            return f"COALESCE(strpos({column}, {v}) > 0, false)"
        if op == "starts_with":
            return f"COALESCE(starts_with({column}, {v}), false)"
        raise ValueError(f"operator {op!r} does not apply to contact fields")

    # --- event history -------------------------------------------------------------------

    def event(self, node: EventRule) -> str:
        where = [f"e.name = {self.b.bind(node.event, 'text')}"]
        if node.within is not None:
            since = self.now - parse_duration(node.within)
            where.append(f"e.ts >= {self.b.bind(since, 'timestamptz')}")
        for prop in node.where:
            where.append(self.json_comparison("e.properties", prop.property, prop))
        if self.scope is not None:
            where.append(f"e.profile_id = ANY({self.scope})")
        sub = "SELECT e.profile_id FROM events e WHERE " + " AND ".join(where)
        parts = []
        low = node.minimum
        if low is not None:
            parts.append(f"p.profile_id IN ({self._counted(sub, '>=', low)})")
        if node.at_most is not None:
            parts.append(f"NOT (p.profile_id IN ({self._counted(sub, '>', node.at_most)}))")
        return "(" + " AND ".join(parts) + ")"

    def _counted(self, sub: str, sign: str, n: int) -> str:
        """Profiles with a count beyond n; `>= 1` and `> 0` need no grouping."""
        if (sign, n) in ((">=", 1), (">", 0)):
            return sub
        return f"{sub} GROUP BY e.profile_id HAVING count(*) {sign} {self.b.bind(n, 'bigint')}"


def compile_predicate(
    rule: Rule, now: datetime, *, scoped: bool = False, types: EntityTypes | None = None
) -> CompiledQuery:
    """A boolean SQL expression over `profiles p`; with `scoped`, `$1` is left for the ids."""
    c = _Compiler(now, scoped, types or {})
    return CompiledQuery(c.rule(rule), c.b.params)


def select_members(
    rule: Rule,
    now: datetime,
    profile_ids: list[str] | None = None,
    types: EntityTypes | None = None,
) -> CompiledQuery:
    """The ids of matching profiles (among `profile_ids` when given).

    `types` are the entity definitions an entity rule was checked against.
    """
    scoped = profile_ids is not None
    c = _Compiler(now, scoped, types or {})
    predicate = c.rule(rule)
    if scoped:
        c.b.params[0] = list(profile_ids or [])
        predicate = f"p.profile_id = ANY($1::text[]) AND {predicate}"
    return CompiledQuery(f"SELECT p.profile_id FROM profiles p WHERE {predicate}", c.b.params)


def count_members(rule: Rule, now: datetime, types: EntityTypes | None = None) -> CompiledQuery:
    """How many profiles match (the estimate before saving)."""
    c = _Compiler(now, False, types or {})
    predicate = c.rule(rule)
    return CompiledQuery(f"SELECT count(*) FROM profiles p WHERE {predicate}", c.b.params)
