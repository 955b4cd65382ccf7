"""Evaluated values as the state, the profile and the step ledger hold them."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, date, datetime, time

from journeys.expressions import aware, parse_datetime
from journeys.nodes.errors import FieldPath, NodeError
from journeys.runtime import ERROR_TEXT_LIMIT


def plain(value: object, field: FieldPath) -> object:
    """An evaluated value as JSON data: datetimes and dates become ISO 8601 strings."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        return str(value)  # Markup and other subclasses as plain text
    if isinstance(value, float):
        if not math.isfinite(value):
            raise NodeError(field, f"{value} is not a JSON number")
        return value
    if isinstance(value, datetime):
        return aware(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        if not all(isinstance(key, str) for key in value):
            raise NodeError(field, "mapping keys must be strings")
        return {key: plain(item, field) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item, field) for item in value]
    raise NodeError(field, f"a {type(value).__name__} is not a value a profile can store")


def number(value: object, field: FieldPath) -> int | float:
    """An evaluated increment: a finite int or float (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise NodeError(field, f"expected a number, got {type(value).__name__}")
    if not math.isfinite(value):
        raise NodeError(field, f"{value} is not a usable number")
    return value


def as_datetime(value: object, field: FieldPath) -> datetime:
    """A wait `until` value: a datetime, a date (midnight UTC) or an ISO 8601 string."""
    try:
        if isinstance(value, datetime):
            return aware(value)
        if isinstance(value, date):
            return datetime.combine(value, time(), tzinfo=UTC)
        if isinstance(value, str):
            return parse_datetime(value)
    except ValueError as exc:
        raise NodeError(field, str(exc)) from exc
    kind = type(value).__name__
    raise NodeError(field, f"expected a datetime or ISO 8601 string, got {kind}")


def shown(value: object) -> object:
    """An evaluated value as the step ledger shows it: JSON scalars as they are, else text."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    text = str(value)
    return text if len(text) <= 200 else text[:199] + "…"


def short(text: str | None, default: str) -> str:
    """`text` (or `default`) cut to what the state keeps of an error or outcome."""
    text = text or default
    if len(text) > ERROR_TEXT_LIMIT:
        return text[: ERROR_TEXT_LIMIT - 1] + "…"
    return text
