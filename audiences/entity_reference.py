"""The reference semantics of entity rules over records in memory (the SQL must agree).

Records are the stored values by column (`_created_at` included): strings, floats,
booleans, aware datetimes, dates, JSON values, or None. A date compares as midnight UTC.
A path through a relation whose record is missing reaches None, as a LEFT JOIN does.
Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from audiences.entity_sql import AGGREGATE_OPS
from audiences.rules import Aggregate, EntityCondition, EntityRule, compare, resolve_moment
from entities.model import Definition
from entities.paths import CREATED, owner, resolve
from journeys.durations import parse_duration

Row = Mapping[str, Any]


class EntityData:
    """Every record of every type, indexed by key for following relations."""

    def __init__(self, known: Mapping[str, Definition], records: Mapping[str, Sequence[Row]]):
        self.known = known
        self.records = records
        self._by_key = {
            t: {r[known[t].primary_key]: r for r in rows} for t, rows in records.items()
        }

    def matcher(self, profile_id: str, now: datetime) -> Callable[[EntityRule], bool]:
        """The `entity` argument of `audiences.rules.matches` for one profile."""
        return lambda node: self.matches(node, profile_id, now)

    def matches(self, node: EntityRule, profile_id: str, now: datetime) -> bool:
        rows = self._rows(node, profile_id, now)
        return all(self._test(node, t, rows) for t in node.tests())

    def _rows(self, node: EntityRule, profile_id: str, now: datetime) -> list[Row]:
        own = [
            r
            for r in self.records.get(node.entity, [])
            if self._holds(node.entity, r, node.where, now) and self._in_window(node, r, now)
        ]
        if node.via is None:
            return [r for r in own if r[_owner(self.known, node.entity)] == profile_id]
        via, lo = node.via, _owner(self.known, node.via.entity)
        links = [
            link
            for link in self.records.get(via.entity, [])
            if link[lo] == profile_id and self._holds(via.entity, link, via.where, now)
        ]
        reached = {link[via.relation] for link in links}
        key = self.known[node.entity].primary_key
        return [r for r in own if r[key] in reached]

    def _holds(
        self, type_name: str, row: Row, conds: Sequence[EntityCondition], now: datetime
    ) -> bool:
        return all(condition(c, *self.value(type_name, row, c.field), now) for c in conds)

    def _in_window(self, node: EntityRule, row: Row, now: datetime) -> bool:
        if node.within is None:
            return True
        moment = as_moment(row[node.on or CREATED])
        return moment is not None and now - parse_duration(node.within) <= moment <= now

    def value(self, type_name: str, row: Row | None, path: str) -> tuple[Any, str]:
        """The value a path reaches from a record (None past a missing record), its kind."""
        found = resolve(self.known, type_name, path)
        assert not isinstance(found, str), found
        for hop_type, rel in found.hops:
            target = self.known[hop_type].relations[rel].to
            row = None if row is None else self._by_key.get(target, {}).get(row[rel])
        return (None if row is None else row[found.column]), found.kind

    def _test(self, node: EntityRule, test: Aggregate, rows: list[Row]) -> bool:
        if test.fn == "count":
            return bool(AGGREGATE_OPS[test.op](len(rows), test.value))
        assert test.field is not None
        values = [v for r in rows if (v := self.value(node.entity, r, test.field)[0]) is not None]
        measure = _measure(test.fn, values)
        if measure is None:
            return test.op == "ne"
        return bool(AGGREGATE_OPS[test.op](measure, test.value))


def _measure(fn: str, values: list[float]) -> float | None:
    if not values:
        return None
    if fn == "sum":
        return sum(values)
    if fn == "avg":
        return sum(values) / len(values)
    return min(values) if fn == "min" else max(values)


def _owner(known: Mapping[str, Definition], type_name: str) -> str:
    found = owner(known, type_name)
    assert found is not None
    return found


def as_moment(value: Any) -> datetime | None:
    """A stored timestamp, or a date at midnight UTC."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time(), UTC)
    return None


def condition(cond: EntityCondition, actual: Any, kind: str, now: datetime) -> bool:
    """One condition on a typed stored value."""
    op = cond.op
    if kind not in ("timestamp", "date") or op in ("exists", "not_exists"):
        return compare(op, actual, cond.value, now)
    moment = as_moment(actual)
    if moment is None:
        return False
    assert isinstance(cond.value, str)
    if op in ("within_last", "within_next"):
        span = parse_duration(cond.value)
        low, high = (now - span, now) if op == "within_last" else (now, now + span)
        return low <= moment <= high
    bound = resolve_moment(cond.value, now)
    return moment < bound if op == "before" else moment > bound
