"""Compile an entity rule to a predicate over `profiles p` (pure; part of `audiences.sql`).

Identifiers come only from the entity definitions, each checked and quoted by
`entities.identifiers`; aliases are numbered here; every value is a bind parameter. The
rule must have passed `audiences.entity_check.problems` against the same definitions.

Shape: the matching records (joined left to the records their paths reach) give one row
per record and profile, `o` the profile id and `v` the aggregated value; a profile matches
when its rows pass the aggregate test. A test that holds for a profile with no record
(`count <= 2`, `avg ne 3`) becomes `NOT IN` the profiles whose rows fail it, so profiles
without records need no row at all. Columns are typed, so comparisons need no casts of
stored values, and every predicate is two-valued (COALESCE) as in `audiences.sql`.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol

from audiences.rules import Aggregate, EntityCondition, EntityRule, resolve_moment
from entities.identifiers import column, table
from entities.model import Definition
from entities.paths import TIMES, PathJoins, column_sql, owner
from journeys.durations import parse_duration

_ORDER_SQL = {"lt": "<", "lte": "<=", "gt": ">", "gte": ">=", "eq": "="}
_NEGATED = {"ne": "eq", "not_exists": "exists", "not_in": "in"}
AGGREGATE_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "lte": operator.le,
    "gt": operator.gt,
    "gte": operator.ge,
}
_CASTS = {"number": "double precision", "boolean": "boolean"}


class Binder(Protocol):
    def bind(self, value: Any, cast: str) -> str: ...


def holds_for_none(test: Aggregate) -> bool:
    """Whether the test holds for a profile without matching records (count 0, no value)."""
    if test.fn != "count":
        return test.op == "ne"
    return bool(AGGREGATE_OPS[test.op](0, test.value))


class EntityCompiler:
    def __init__(
        self, binder: Binder, known: Mapping[str, Definition], now: datetime, scope: str | None
    ) -> None:
        self.b = binder
        self.known = known
        self.now = now
        self.scope = scope
        self._aliases = 0

    def alias(self) -> str:
        self._aliases += 1
        return f"x{self._aliases}"

    def rule(self, node: EntityRule) -> str:
        """The profiles whose matching records pass every test of the rule."""
        rows = _Rows(self)
        source = rows.build(node)
        tests = node.tests()
        if tests == [Aggregate(fn="count", op="gte", value=1)]:
            return f"(p.profile_id IN (SELECT t.o FROM ({source}) t))"
        return "(" + " AND ".join(self._grouped(source, t) for t in tests) + ")"

    def _grouped(self, source: str, test: Aggregate) -> str:
        passes = self._aggregate(test)
        group = f"SELECT t.o FROM ({source}) t GROUP BY t.o"
        if holds_for_none(test):
            return f"(p.profile_id NOT IN ({group} HAVING NOT {passes}))"
        return f"(p.profile_id IN ({group} HAVING {passes}))"

    def _aggregate(self, test: Aggregate) -> str:
        if test.op == "ne":
            return f"(NOT {self._aggregate(test.model_copy(update={'op': 'eq'}))})"
        value = self.b.bind(float(test.value), "double precision")
        measure = "count(*)" if test.fn == "count" else f"{test.fn}(t.v)"
        return f"COALESCE({measure} {_ORDER_SQL[test.op]} {value}, false)"

    # --- conditions on typed columns -----------------------------------------------------

    def condition(self, expr: str, kind: str, cond: EntityCondition, top: bool = False) -> str:
        """A two-valued test; `top` (a WHERE conjunct, never negated) may be NULL for
        false, which keeps it strict so a LEFT JOIN it reads becomes an inner one."""
        op = cond.op
        if op in _NEGATED:
            positive = cond.model_copy(update={"op": _NEGATED[op]})
            return f"(NOT {self.condition(expr, kind, positive)})"
        if op == "exists":
            return f"({expr} IS NOT NULL)"
        test = self._test(expr, kind, cond)
        return f"({test})" if top else f"COALESCE({test}, false)"

    def _test(self, expr: str, kind: str, cond: EntityCondition) -> str:
        """A positive comparison, NULL when the value is."""
        op, value = cond.op, cond.value
        if kind in ("timestamp", "date"):
            moment = expr if kind == "timestamp" else f"({expr}::timestamp AT TIME ZONE 'UTC')"
            return self._time(moment, op, value)
        cast = _CASTS.get(kind, "text")
        if op == "in":
            assert isinstance(value, list)
            items = [float(v) for v in value] if kind == "number" else value
            return f"{expr} = ANY({self.b.bind(items, cast + '[]')})"
        bound = self.b.bind(float(value) if kind == "number" else value, cast)  # type: ignore[arg-type]
        if op == "contains":
            return f"strpos({expr}, {bound}) > 0"
        if op == "starts_with":
            return f"starts_with({expr}, {bound})"
        collate = ' COLLATE "C"' if cast == "text" and op != "eq" else ""
        return f"{expr}{collate} {_ORDER_SQL[op]} {bound}"

    def _time(self, moment: str, op: str, value: Any) -> str:
        assert isinstance(value, str)
        if op in ("within_last", "within_next"):
            span = parse_duration(value)
            past = op == "within_last"
            low, high = (self.now - span, self.now) if past else (self.now, self.now + span)
            since = self.b.bind(low, "timestamptz")
            until = self.b.bind(high, "timestamptz")
            return f"{moment} BETWEEN {since} AND {until}"
        bound = self.b.bind(resolve_moment(value, self.now), "timestamptz")
        sign = "<" if op == "before" else ">"
        return f"{moment} {sign} {bound}"


class _Rows:
    """The FROM, joins and WHERE of one entity rule's matching records."""

    def __init__(self, c: EntityCompiler) -> None:
        self.c = c
        self._paths = PathJoins(c.known, c.alias)
        self.joins = self._paths.joins
        self.where: list[str] = []

    def build(self, node: EntityRule) -> str:
        c = self.c
        s = c.alias()
        start = f"{table(node.entity)} {s}"
        if node.via is None:
            o = column_sql(s, _owner(c.known, node.entity))
        else:
            link = c.alias()
            key = column(c.known[node.entity].primary_key)
            start = (
                f"{table(node.via.entity)} {link} JOIN {table(node.entity)} {s} "
                f"ON {s}.{key} = {link}.{column(node.via.relation)}"
            )
            o = column_sql(link, _owner(c.known, node.via.entity))
            self._conditions(node.via.entity, link, node.via.where)
        self._conditions(node.entity, s, node.where)
        self._window(node, s)
        self.where.append(f"{o} IS NOT NULL")
        if c.scope is not None:
            self.where.append(f"{o} = ANY({c.scope})")
        return self._select(node, s, o, start)

    def _select(self, node: EntityRule, s: str, o: str, start: str) -> str:
        field = node.aggregate.field if node.aggregate else None
        value = self.path(node.entity, s, field)[0] if field else "NULL::double precision"
        what = f"{o} AS o, {value} AS v"
        if node.via is not None:  # each reached record once, however many links reach it
            key = column(self.c.known[node.entity].primary_key)
            what = f"DISTINCT {o} AS o, {s}.{key} AS k, {value} AS v"
        joins = "".join(f" {j}" for j in self.joins)
        return f"SELECT {what} FROM {start}{joins} WHERE {' AND '.join(self.where)}"

    def _conditions(self, type_name: str, alias: str, conds: list[EntityCondition]) -> None:
        for cond in conds:
            expr, kind = self.path(type_name, alias, cond.field)
            self.where.append(self.c.condition(expr, kind, cond, top=True))

    def _window(self, node: EntityRule, alias: str) -> None:
        if node.within is None:
            return
        on = node.on or TIMES[0]
        kind = "timestamp" if on in TIMES else self.c.known[node.entity].fields[on].type
        cond = EntityCondition(field=on, op="within_last", value=node.within)
        self.where.append(self.c.condition(column_sql(alias, on), kind, cond, top=True))

    def path(self, type_name: str, alias: str, path: str) -> tuple[str, str]:
        """The SQL expression of a path's column and its kind, joining what it passes."""
        return self._paths.path(type_name, alias, path)


def _owner(known: Mapping[str, Definition], type_name: str) -> str:
    found = owner(known, type_name)
    assert found is not None, f"{type_name} has no relation to the profile"
    return found
