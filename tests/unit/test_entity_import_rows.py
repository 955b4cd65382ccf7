"""Entity import rows: CSV cells typed by the definition, the profile relation's id rules,
values PostgreSQL would refuse, and header problems that stop the import."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from entities.model import Definition
from imports.entity_rows import EntityRowParser
from imports.rows import Format, Framer, ImportFailed, RowError

HOTEL = Definition.model_validate({"fields": {"code": {"type": "number"}}, "primary_key": "code"})
BOOKING = Definition.model_validate(
    {
        "fields": {
            "booking_id": {"type": "string"},
            "status": {"type": "enum", "values": ["held", "confirmed"]},
            "nights": {"type": "number"},
            "paid": {"type": "boolean"},
            "departure": {"type": "timestamp"},
            "day": {"type": "date"},
            "extras": {"type": "json"},
        },
        "primary_key": "booking_id",
        "relations": {"guest": {"to": "profile", "required": True}, "hotel": {"to": "hotel"}},
    }
)
KNOWN = {"hotel": HOTEL, "booking": BOOKING}


def run(fmt: Format, data: bytes) -> tuple[list[Any], list[RowError]]:
    errors: list[RowError] = []
    framer = Framer(fmt)
    parser = EntityRowParser(fmt, errors.append, BOOKING, KNOWN)
    rows = parser.parse(framer.feed(data)) + parser.parse(framer.close())
    parser.finish()
    return rows, errors


def test_csv_cells_become_the_columns_types_in_column_order() -> None:
    data = (
        b"hotel,profile_id,booking_id,nights,paid,departure,day,extras,status\n"
        b'12, p-1 ,b1,2.5,Y,2026-07-01T10:00:00+02:00,2026-07-01,"{""a"": [1]}",held\n'
        b"x,p-2,b2,,,,,,\n"
    )
    rows, errors = run("csv", data)
    when = datetime(2026, 7, 1, 10, tzinfo=timezone(timedelta(hours=2)))
    assert rows == [(2, "b1", "held", 2.5, True, when, date(2026, 7, 1), '{"a":[1]}', "p-1", 12.0)]
    assert [e.as_dict() for e in errors] == [
        {"line": 3, "field": "hotel", "message": "not a number"}
    ]
    assert when.astimezone(UTC).hour == 8


def test_ndjson_records_pass_the_apis_checks() -> None:
    lines = [
        {"booking_id": "n1", "user_id": 7, "extras": {"big": 2**60}},
        {"booking_id": "n2", "guest": "x" * 201},
        {"booking_id": "n3", "guest": "p", "status": "held\u0000"},
        {"booking_id": "n4", "guest": True},
        {"booking_id": "n5", "guest": "p", "paid": "yes", "extras": None},
    ]
    data = "\n".join(json.dumps(line) for line in lines).encode() + b'\n{"booking_id": "\\ud800"}'
    rows, errors = run("ndjson", data)
    assert rows == []
    assert [(e.line, e.field, e.message) for e in errors] == [
        (
            1,
            "extras",
            "extras.big is beyond ±(2^53 - 1), the largest integer JSON clients read exactly",
        ),
        (2, "guest", "longer than 200 characters"),
        (3, "status", "must be one of held, confirmed"),
        (4, "guest", "must be a string"),
        (5, "paid", "must be true or false"),
        (6, "guest", "is required"),
        (6, "booking_id", "contains an unpaired UTF-16 surrogate"),
    ]


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (b"booking_id,guest,colour", "header: 'colour' is not a field or relation of this type"),
        (b"booking_id,guest,nights:number", "drop ':number'"),
        (b"booking_id,guest,user_id", "header names 'guest' twice"),
        (b"booking_id,nights", "the CSV header has no column for guest (required)"),
    ],
)
def test_header_problems_stop_the_import(header: bytes, message: str) -> None:
    with pytest.raises(ImportFailed, match="header") as failed:
        run("csv", header + b"\n")
    assert message in failed.value.message and failed.value.field == "header"


def test_a_required_cell_that_does_not_parse_is_one_error() -> None:
    d = Definition.model_validate(
        {
            "fields": {"k": {"type": "string"}, "n": {"type": "number", "required": True}},
            "primary_key": "k",
        }
    )
    errors: list[RowError] = []
    parser = EntityRowParser("csv", errors.append, d, {})
    assert parser.parse(Framer("csv").feed(b"k,n\na,two\nb,\n")) == []
    assert [(e.line, e.field, e.message) for e in errors] == [
        (2, "n", "not a number"),
        (3, "n", "is required"),
    ]
