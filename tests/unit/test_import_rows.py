"""Import rows: framing at any chunk boundary, CSV typing, NDJSON shapes, per-row errors."""

from __future__ import annotations

import json
from typing import Any

import pytest

from imports.rows import Format, Framer, ImportFailed, RowError, RowParser, format_for

CSV = (
    b"\xef\xbb\xbfprofile_id,email,timezone,plan,age:integer,vip:boolean,ltv:number,"
    b"tags:json,since:datetime\r\n"
    b'u1,ada@example.com,Europe/Paris,pro,36,yes,12.5,"[""a"",""b""]",2024-01-02\r\n'
    b"\r\n"
    b'u2,,,"multi\nline",,,,,\r\n'
    b"u3,not-an-email,Mars/Olympus,free,3.5,maybe,abc,{,yesterday\r\n"
    b",x@example.com,,,,,,,\r\n"
    b"u5,a@b,UTC,short\r\n"
)


def run(fmt: Format, data: bytes, chunk: int) -> tuple[list[Any], list[RowError], RowParser]:
    errors: list[RowError] = []
    framer = Framer(fmt)
    parser = RowParser(fmt, errors.append)
    rows = []
    for i in range(0, len(data), chunk):
        rows += parser.parse(framer.feed(data[i : i + chunk]))
    rows += parser.parse(framer.close())
    parser.finish()
    return rows, errors, parser


@pytest.mark.parametrize("chunk", [1, 2, 7, 64, 1 << 20])
def test_csv_rows_and_errors_at_any_chunk_size(chunk: int) -> None:
    rows, errors, parser = run("csv", CSV, chunk)
    assert [r[0] for r in rows] == [2, 4]  # lines where each valid record starts
    u1, u2 = rows
    assert u1[1:5] == ("u1", "ada@example.com", None, "Europe/Paris")
    assert json.loads(u1[6]) == {
        "plan": "pro",
        "age": 36,
        "vip": True,
        "ltv": 12.5,
        "tags": ["a", "b"],
        "since": "2024-01-02",
    }
    assert u2[1:5] == ("u2", None, None, None)  # empty cells leave stored values alone
    assert json.loads(u2[6]) == {"plan": "multi\nline"}
    by_field = {(e.line, e.field): e.message for e in errors}
    assert by_field[(6, "email")] == "not an email address: an email address must have an @-sign."
    assert "unknown IANA time zone" in by_field[(6, "timezone")]
    assert by_field[(6, "age")] == "not an integer"
    assert by_field[(6, "vip")].startswith("not a boolean")
    assert by_field[(6, "ltv")] == "not a number"
    assert by_field[(6, "tags")].startswith("not JSON")
    assert by_field[(6, "since")].startswith("not an ISO 8601")
    assert by_field[(7, "profile_id")] == "required"
    assert by_field[(8, None)] == "expected 9 cells, found 4"
    assert (parser.rows_read, parser.rows_failed) == (5, 3)


def test_csv_header_problems_stop_the_import() -> None:
    for header, needle in [
        (b"email,plan\n", "no profile_id"),
        (b"profile_id,user_id\n", "twice"),
        (b"profile_id,age:decimal\n", "unknown type 'decimal'"),
        (b"profile_id,email:integer\n", "always a string"),
        (b"profile_id,,x\n", "has no name"),
    ]:
        with pytest.raises(ImportFailed, match=needle) as info:
            run("csv", header + b"u1,1\n", 4)
        assert info.value.field == "header"
    for empty in (b"", b"\r\n\n"):
        with pytest.raises(ImportFailed, match="no header row") as info:
            run("csv", empty, 4)
        assert info.value.field == "header"


def test_csv_unclosed_quote_and_oversized_line_are_fatal() -> None:
    with pytest.raises(ImportFailed, match="never closed"):
        run("csv", b'profile_id,plan\nu1,"open\nu2,x\n', 5)
    framer = Framer("ndjson", max_record=10)
    with pytest.raises(ImportFailed, match="longer than 10 bytes"):
        framer.feed(b'{"profile_id": "u1", "x": 1234567890}')


def test_ndjson_shapes_and_errors() -> None:
    lines = [
        {"profile_id": "a", "email": "a@example.com", "plan": "pro", "attributes": {"n": 1}},
        {"user_id": 42, "phone": "+33 6 12 34 56 78", "timezone": None, "old": None},
        {"profile_id": "c", "plan": "x", "attributes": {"plan": "y"}},
        ["not", "an", "object"],
        {"profile_id": True},
        {"profile_id": "f", "email": 5, "attributes": "nope"},
        {"profile_id": "g", "bad": "nul\u0000"},
    ]
    data = b"\n".join(json.dumps(x).encode() for x in lines)
    data += b'\n\n{"profile_id": "h",\n{"profile_id": "i", "v": NaN}\n\xff\xfe\n'
    rows, errors, parser = run("ndjson", data, 3)
    assert [r[1] for r in rows] == ["a", "42", "c"]
    a, b, c = rows
    assert json.loads(a[6]) == {"plan": "pro", "n": 1}
    assert b[3] == "+33612345678" and b[5] == ["timezone"] and b[7] == ["old"]  # E.164
    assert json.loads(c[6]) == {"plan": "y"}  # `attributes` wins over a flat trait
    found = {(e.line, e.field) for e in errors}
    assert found >= {
        (4, None),
        (5, "profile_id"),
        (6, "email"),
        (6, "attributes"),
        (7, "attributes"),
        (9, None),
        (10, None),
        (11, None),
    }
    assert parser.rows_read == 10  # the blank line 8 is not a row


def test_file_names_imply_formats() -> None:
    assert format_for("people.CSV.gz") == "csv"
    assert format_for("x.jsonl") == format_for("x.ndjson.gz") == "ndjson"
    assert format_for("x.xlsx") is None


def test_csv_user_id_column_names_its_errors() -> None:
    rows, errors, _ = run("csv", b"user_id,plan\nu1,a\n  ,b\n", 5)
    assert [r[1] for r in rows] == ["u1"]
    assert errors == [RowError(3, "user_id", "required")]


def test_contact_fields_follow_the_address_rules() -> None:
    """The rules of the profiles API (contacts/addresses.py): a display-name fragment that
    would send to someone else is a row error; good values are stored normalised."""
    data = (
        b"profile_id,email,phone,push_tokens:json\n"
        b"u1,bad<someone@example.test,,\n"
        b'u2,Ada@Example.COM,+1 (415) 555-2671,"[""dev-a""]"\n'
        b'u3,ada@example.com,0612345678,"[""dev-a"", ""a,b""]"\n'
        b'u4,,,"""dev-a"""\n'
    )
    rows, errors, _ = run("csv", data, 7)
    assert [r[1:4] for r in rows] == [("u2", "Ada@example.com", "+14155552671")]
    found = {(e.line, e.field): e.message for e in errors}
    assert set(found) == {(2, "email"), (4, "phone"), (4, "push_tokens[1]"), (5, "push_tokens")}
    assert found[(2, "email")].startswith("not an email address: ")
    assert found[(4, "phone")].startswith("not an E.164 phone number: must start with +")
    assert found[(4, "push_tokens[1]")].startswith("not a device token")
    assert found[(5, "push_tokens")] == "not a list of device tokens"
    lines = [
        {"profile_id": "n1", "email": "bad<someone@example.test"},
        {"profile_id": "n2", "attributes": {"push_tokens": ["dev a"]}},
        {"profile_id": "n3", "push_tokens": None, "phone": "+33 6 12 34 56 78"},
    ]
    rows, errors, _ = run("ndjson", b"\n".join(json.dumps(x).encode() for x in lines), 64)
    assert [(r[1], r[3], r[7]) for r in rows] == [("n3", "+33612345678", ["push_tokens"])]
    assert [(e.line, e.field) for e in errors] == [(1, "email"), (2, "push_tokens[0]")]


def test_attribute_integers_past_2_53_are_refused_naming_them() -> None:
    big = 2**53 + 1
    lines = [
        {"profile_id": 9007199254740993, "n": 2**53 - 1, "f": 1e30},  # any id: it is text
        {"profile_id": "b", "attributes": {"order": {"ids": [1, big]}}},
        {"profile_id": "c", "n": -big},
    ]
    data = b"\n".join(json.dumps(x).encode() for x in lines) + b"\n"
    rows, errors, _ = run("ndjson", data, 7)
    assert [r[1] for r in rows] == ["9007199254740993"]
    assert {(e.line, e.field) for e in errors} == {(2, "attributes"), (3, "attributes")}
    assert "attributes.order.ids[1] is beyond ±(2^53 - 1)" in errors[0].message
    csv_data = f"profile_id,n:integer,x:number,j:json\na,{big},1,1\nb,1,{big},1\nc,1,1,[{big}]\n"
    rows, errors, _ = run("csv", csv_data.encode(), 9)
    assert rows == []
    assert all("2^53" in e.message for e in errors) and len(errors) == 3
