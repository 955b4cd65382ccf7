"""A record's values checked against its type's fields, into what the driver stores.

Each problem names its field (`nights`), prefixed by where the record sits in the request
(`records[3].nights`). JSON numbers arrive as int or float; a bool is never a number.
Timestamps need a UTC offset, so no stored instant depends on a server's zone.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from entities.model import PROFILE, Definition, relation_type
from journeys.problems import Problem

Values = dict[str, Any]


def _number(v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise ValueError("must be a number")
    return float(v)


def _string(v: Any) -> str:
    if not isinstance(v, str):
        raise ValueError("must be a string")
    return v


def _boolean(v: Any) -> bool:
    if not isinstance(v, bool):
        raise ValueError("must be true or false")
    return v


def _timestamp(v: Any) -> datetime:
    try:
        when = datetime.fromisoformat(_string(v))
    except ValueError:
        raise ValueError("must be an ISO 8601 timestamp with an offset") from None
    if when.tzinfo is None:
        raise ValueError("must be an ISO 8601 timestamp with an offset")
    return when


def _date(v: Any) -> date:
    try:
        return date.fromisoformat(_string(v))
    except ValueError:
        raise ValueError("must be a date (YYYY-MM-DD)") from None


_CONVERT = {
    "string": _string,
    "number": _number,
    "boolean": _boolean,
    "timestamp": _timestamp,
    "date": _date,
    "json": lambda v: v,
}


def convert(d: Definition, known: Mapping[str, Definition], col: str, value: Any) -> Any:
    """One column's value as stored; ValueError says what it must be."""
    if col in d.relations:
        kind = relation_type(d.relations[col], dict(known), d)
        if d.relations[col].to == PROFILE and not _string(value):
            raise ValueError("must be a non-empty profile id")
        return _CONVERT[kind](value)
    spec = d.fields[col]
    if spec.type == "enum":
        if value not in (spec.values or []):
            raise ValueError(f"must be one of {', '.join(spec.values or [])}")
        return value
    return _CONVERT[spec.type](value)


def check(
    d: Definition, known: Mapping[str, Definition], record: Mapping[str, Any], at: str = ""
) -> tuple[Values, list[Problem]]:
    """The record's stored values, or every problem with its path under `at`."""
    prefix = f"{at}." if at else ""
    values: Values = {}
    found = [
        Problem(path=f"{prefix}{k}", message="not a field or relation of this type")
        for k in record
        if k not in d.columns()
    ]
    for col in d.columns():
        raw = record.get(col)
        if raw is None:
            if required(d, col):
                found.append(Problem(path=f"{prefix}{col}", message="is required"))
            values[col] = None
            continue
        try:
            values[col] = convert(d, known, col, raw)
        except ValueError as exc:
            found.append(Problem(path=f"{prefix}{col}", message=str(exc)))
    return values, found


def required(d: Definition, col: str) -> bool:
    """Whether a record must have this column (the key always)."""
    if col == d.primary_key:
        return True
    spec = d.fields.get(col) or d.relations[col]
    return spec.required


def from_text(d: Definition, known: Mapping[str, Definition], col: str, text: str) -> Any:
    """A value given as text (a URL key, a query filter) in its column's type."""
    kind = kind_of(d, known, col)
    if kind == "number":
        try:
            return _number(float(text))
        except ValueError:
            raise ValueError("must be a number") from None
    if kind == "boolean":
        if text not in ("true", "false"):
            raise ValueError("must be true or false")
        return text == "true"
    if kind == "json":
        raise ValueError("a json field cannot be filtered on")
    return convert(d, known, col, text)


def kind_of(d: Definition, known: Mapping[str, Definition], col: str) -> str:
    """The field type a column holds (a relation's: its target's key type)."""
    if col in d.relations:
        return relation_type(d.relations[col], dict(known), d)
    return d.fields[col].type


def to_json(value: Any) -> Any:
    """A stored value as the API answers it: instants and dates in ISO 8601."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
