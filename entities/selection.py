"""Which related records a per-entity send goes to, and the one query that reads them.

A campaign with `per: {entity: booking, where: [...]}` sends one message per matching
booking of each member. The conditions have the shape of the entity audience rules
(`{"field": "status", "op": "eq", "value": "confirmed"}`): a field of the type, or a path
through its relations (`hotel.city`), resolved and joined by `entities.paths` exactly as
audience rules are. `problems` checks a selection against the entity types, naming each field
(`per.where[0].field`); `records_query` reads the records of a chunk of members in one
statement: identifiers only through `entities.identifiers`, every value a parameter.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from entities.identifiers import column, is_name, table
from entities.model import SQL_TYPES, Definition
from entities.paths import TIMES, PathJoins, Resolved, resolve
from entities.values import convert, to_json
from journeys.durations import parse_duration
from journeys.per_entity import Condition, PerEntity
from journeys.problems import Problem

_ORDER = {"lt": "<", "lte": "<=", "gt": ">", "gte": ">="}
_ORDERED = ("number", "timestamp", "date", "string", "enum")
_TIMES = ("timestamp", "date")


@dataclass(frozen=True)
class RecordsQuery:
    """The statement, its parameters after the member ids ($1), and how to read its rows."""

    sql: str
    args: list[Any]
    relation: str
    related: list[str]


def problems(per: PerEntity, known: Mapping[str, Definition], root: str = "per") -> list[Problem]:
    """Every problem of the selection against the entity types, each with its path."""
    d = known.get(per.entity) if is_name(per.entity) else None
    if d is None:
        return [
            Problem(path=f"{root}.entity", message=f"entity type {per.entity!r} does not exist")
        ]
    found = _relation_problems(per, d, root)
    for i, cond in enumerate(per.where):
        found += _condition_problems(cond, per.entity, known, f"{root}.where[{i}]")
    return found


def _relation_problems(per: PerEntity, d: Definition, root: str) -> list[Problem]:
    mine = d.profile_relations()
    if not mine:
        message = f"entity type {per.entity!r} has no relation to the profile"
        return [Problem(path=f"{root}.entity", message=message)]
    if per.relation is None and len(mine) > 1:
        message = f"{per.entity!r} relates to the profile by {', '.join(mine)}: name one"
        return [Problem(path=f"{root}.relation", message=message)]
    if per.relation is not None and per.relation not in mine:
        message = f"not a relation of {per.entity!r} to the profile; known: {', '.join(mine)}"
        return [Problem(path=f"{root}.relation", message=message)]
    return []


def _resolved(cond: Condition, type_name: str, known: Mapping[str, Definition]) -> Resolved | str:
    """The column the condition's path names (a field or relation, not a record time), or
    why none: for a plain name, the type's columns; for a path, where it went wrong."""
    found = resolve(known, type_name, cond.field)
    plain_unknown = isinstance(found, str) and "." not in cond.field
    if plain_unknown or (not isinstance(found, str) and found.column in TIMES):
        return f"unknown field; known: {', '.join(known[type_name].columns())}"
    return found


def _condition_problems(
    cond: Condition, type_name: str, known: Mapping[str, Definition], at: str
) -> list[Problem]:
    found = _resolved(cond, type_name, known)
    if isinstance(found, str):
        return [Problem(path=f"{at}.field", message=found)]
    message = _op_problem(cond, found.kind)
    if message is not None:
        return [Problem(path=f"{at}.op", message=message)]
    try:
        _bound(cond, found, known, datetime(2000, 1, 1))
    except ValueError as exc:
        return [Problem(path=f"{at}.value", message=str(exc))]
    return []


def _op_problem(cond: Condition, kind: str) -> str | None:
    if cond.op in ("within_last", "within_next") and kind not in _TIMES:
        return f"{cond.op} compares a timestamp or date field, not {kind}"
    if cond.op in _ORDER and kind not in _ORDERED:
        return f"{cond.op} does not order {kind} values"
    if kind == "json" and cond.op not in ("exists", "not_exists"):
        return "a json field is tested with exists or not_exists"
    return None


def _bound(cond: Condition, found: Resolved, known: Mapping[str, Definition], now: datetime) -> Any:
    """The condition's parameter as the column's type holds it (ValueError: why not)."""
    if cond.op in ("exists", "not_exists"):
        if cond.value is not None:
            raise ValueError(f"{cond.op} takes no value")
        return None
    if cond.op in ("within_last", "within_next"):
        if not isinstance(cond.value, str):
            raise ValueError("an ISO 8601 duration, e.g. P7D")
        span = parse_duration(cond.value)
        edge = now - span if cond.op == "within_last" else now + span
        moment = edge if isinstance(edge, datetime) else now
        return moment.date() if found.kind == "date" else moment
    if cond.op in ("in", "not_in"):
        if not isinstance(cond.value, list) or not cond.value:
            raise ValueError(f"{cond.op} takes a non-empty list")
        return [_one(found, known, v) for v in cond.value]
    if cond.value is None or isinstance(cond.value, list):
        raise ValueError(f"{cond.op} takes one value")
    return _one(found, known, cond.value)


def _one(found: Resolved, known: Mapping[str, Definition], value: Any) -> Any:
    """One value as the path's column holds it; an enum's must be one of its values."""
    return convert(known[found.type_name], known, found.column, value)


class _Params:
    """Numbered placeholders after $1 (the member ids), each cast to its column's type."""

    def __init__(self) -> None:
        self.args: list[Any] = []

    def bind(self, value: Any, sql_type: str) -> str:
        self.args.append(value)
        return f"${len(self.args) + 1}::{sql_type}"


def _predicate(cond: Condition, type_name: str, paths: PathJoins, now: datetime, p: _Params) -> str:
    """The condition on `x` (the record), joining the records its path passes through."""
    col, kind = paths.path(type_name, "x", cond.field)
    sql_type = SQL_TYPES[kind]
    found = resolve(paths.known, type_name, cond.field)
    assert not isinstance(found, str), found
    value = _bound(cond, found, paths.known, now)
    if cond.op == "exists":
        return f"{col} IS NOT NULL"
    if cond.op == "not_exists":
        return f"{col} IS NULL"
    if cond.op == "eq":
        return f"COALESCE({col} = {p.bind(value, sql_type)}, false)"
    if cond.op == "ne":
        return f"{col} IS DISTINCT FROM {p.bind(value, sql_type)}"
    if cond.op in ("in", "not_in"):
        test = f"COALESCE({col} = ANY({p.bind(value, sql_type + '[]')}), false)"
        return test if cond.op == "in" else f"NOT {test}"
    if cond.op in ("within_last", "within_next"):
        edges = [value, _now(now, sql_type)]
        low, high = edges if cond.op == "within_last" else edges[::-1]
        return (
            f"COALESCE({col} BETWEEN {p.bind(low, sql_type)} AND {p.bind(high, sql_type)}, false)"
        )
    return f"COALESCE({col} {_ORDER[cond.op]} {p.bind(value, sql_type)}, false)"


class _Aliases:
    """`p1`, `p2`, …: the records a selection's paths join (never `x`, `m`, `t` or `r<n>`)."""

    def __init__(self) -> None:
        self._n = 0

    def next(self) -> str:
        self._n += 1
        return f"p{self._n}"


def _now(now: datetime, sql_type: str) -> Any:
    return now.date() if sql_type == "date" else now


def relation_of(per: PerEntity, d: Definition) -> str:
    """The relation column naming the member (checked by `problems` beforehand)."""
    return per.relation or d.profile_relations()[0]


def records_query(per: PerEntity, known: Mapping[str, Definition], now: datetime) -> RecordsQuery:
    """The matching records of the members $1 (text[]), at most `limit` each by key.

    One row per record: `_member` (the member's position in $1, from 1), the record's
    columns, and `_r<n>` the record each relation to another type points at (as JSON, null
    when unset or gone). Members without a record have no row. Assumes `problems` found
    nothing against the same definitions.
    """
    d = known[per.entity]
    rel = relation_of(per, d)
    params = _Params()
    paths = PathJoins(known, _Aliases().next)
    where = [f"x.{column(rel)} = m.profile_id"]
    where += [_predicate(c, per.entity, paths, now, params) for c in per.where]
    through = "".join(f" {j}" for j in paths.joins)
    limit = params.bind(per.limit, "integer")
    related = [r for r, spec in d.relations.items() if spec.to in known]
    joins, picks = [], []
    for n, name in enumerate(related):
        target = known[d.relations[name].to]
        key = f"r{n}.{column(target.primary_key)}"
        joins.append(f"LEFT JOIN {table(d.relations[name].to)} r{n} ON {key} = t.{column(name)}")
        picks.append(f"CASE WHEN {key} IS NULL THEN NULL ELSE to_jsonb(r{n}) END AS _r{n}")
    pk = column(d.primary_key)
    cols = ", ".join([*(f"t.{column(c)}" for c in d.columns()), *picks])
    sql = (
        f"SELECT m.i AS _member, {cols} "
        "FROM unnest($1::text[]) WITH ORDINALITY AS m (profile_id, i) "
        f"CROSS JOIN LATERAL (SELECT x.* FROM {table(per.entity)} x{through} "
        f"WHERE {' AND '.join(where)} ORDER BY x.{pk} LIMIT {limit}) t "
        f"{' '.join(joins)} ORDER BY m.i, t.{pk}"
    )
    return RecordsQuery(sql=sql, args=params.args, relation=rel, related=related)


def key_text(value: Any) -> str:
    """A record key as message ids and the ledger hold it: its URL text (`3`, not `3.0`)."""
    return str(to_json(value))


def entity_scope(name: str, d: Definition, row: Any, related: Sequence[str]) -> dict[str, Any]:
    """A record as templates see it: `entity.type`, `entity.key`, `entity.fields.<field>`
    and `entity.related.<relation>` (the record it points at, its values, or None)."""
    values = {c: to_json(row[c]) for c in d.columns()}
    linked = {rel: _related(row[f"_r{n}"]) for n, rel in enumerate(related)}
    return {
        "type": name,
        "key": to_json(row[d.primary_key]),
        "fields": values,
        "related": linked,
    }


def _related(raw: Any) -> dict[str, Any] | None:
    if raw is None:
        return None
    if isinstance(raw, str):  # a pool without the jsonb codec
        raw = json.loads(raw)
    return {k: v for k, v in raw.items() if not k.startswith("_")}
