"""Record values checked against field types, each problem at its path."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from entities.model import Definition
from entities.values import check, from_text, to_json

TYPE = Definition.model_validate(
    {
        "fields": {
            "id": {"type": "string"},
            "nights": {"type": "number", "required": True},
            "paid": {"type": "boolean"},
            "at": {"type": "timestamp"},
            "day": {"type": "date"},
            "status": {"type": "enum", "values": ["held", "confirmed"]},
            "extra": {"type": "json"},
        },
        "primary_key": "id",
        "relations": {"profile_id": {"to": "profile"}},
    }
)


def test_a_good_record_is_converted() -> None:
    record = {
        "id": "b1",
        "nights": 3,
        "paid": True,
        "at": "2026-12-03T10:00:00+00:00",
        "day": "2026-12-24",
        "status": "held",
        "extra": {"a": [1]},
        "profile_id": "p1",
    }
    values, found = check(TYPE, {}, record)
    assert found == []
    assert values == {
        **record,
        "nights": 3.0,
        "at": datetime(2026, 12, 3, 10, tzinfo=UTC),
        "day": date(2026, 12, 24),
    }


def test_every_bad_value_is_named_under_its_record() -> None:
    record = {
        "nights": True,
        "paid": "yes",
        "at": "2026-12-03T10:00:00",
        "day": "24/12/2026",
        "status": "gone",
        "profile_id": "",
        "colour": "red",
    }
    _, found = check(TYPE, {}, record, "records[3]")
    assert [(p.path, p.message) for p in found] == [
        ("records[3].colour", "not a field or relation of this type"),
        ("records[3].id", "is required"),
        ("records[3].nights", "must be a number"),
        ("records[3].paid", "must be true or false"),
        ("records[3].at", "must be an ISO 8601 timestamp with an offset"),
        ("records[3].day", "must be a date (YYYY-MM-DD)"),
        ("records[3].status", "must be one of held, confirmed"),
        ("records[3].profile_id", "must be a non-empty profile id"),
    ]


def test_unset_optional_values_are_null() -> None:
    values, found = check(TYPE, {}, {"id": "b", "nights": 1})
    assert found == []
    assert values["paid"] is None and values["profile_id"] is None


def test_filters_given_as_text() -> None:
    assert from_text(TYPE, {}, "nights", "2") == 2.0
    assert from_text(TYPE, {}, "paid", "false") is False
    assert from_text(TYPE, {}, "day", "2026-01-02") == date(2026, 1, 2)
    for col, text in (
        ("nights", "two"),
        ("nights", "nan"),
        ("nights", "1e400"),
        ("paid", "1"),
        ("extra", "{}"),
        ("status", "x"),
    ):
        with pytest.raises(ValueError):
            from_text(TYPE, {}, col, text)


def test_stored_values_as_the_api_answers_them() -> None:
    assert to_json(3.0) == 3
    assert to_json(2.5) == 2.5
    assert to_json(date(2026, 1, 2)) == "2026-01-02"
    assert to_json(datetime(2026, 1, 2, tzinfo=UTC)) == "2026-01-02T00:00:00+00:00"
