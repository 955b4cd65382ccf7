"""The door's decision on bodies PostgreSQL could not store, without a server."""

from __future__ import annotations

import json

import pytest

from api.storable import (
    MAX_DEPTH,
    Unstorable,
    body_problem,
    door_problem,
    encoding_problem,
    first_unstorable,
    string_problem,
)


@pytest.mark.parametrize(
    "body",
    [
        b'{"name": "e", "properties": {"total": 1.5e3, "tags": ["a", "b"]}}',
        b'{"note": "NaN and Infinity are words here", "n": 1e300}',
        json.dumps({"d": [[[[1]]]] * 40}).encode(),  # many brackets, none deep
        b"not json at all {",  # FastAPI reports malformed JSON with its position
    ],
)
def test_storable_bodies_pass(body: bytes) -> None:
    assert body_problem(body) is None


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"a": {"b": ["x", "y\\u0000"]}}', (422, "a.b[1]", "contains a NUL character (\\u0000)")),
        (b'{"k\\u0000": 1}', (422, "body", "a key contains a NUL character (\\u0000)")),
        (b'{"s": "\\uDBFF"}', (422, "s", string_problem("\udbff"))),
        (b'{"n": Infinity}', (422, "n", "inf is not a number JSON can store")),
        (b'{"n": 1E+999}', (422, "n", "inf is not a number JSON can store")),
        (b"[" * 65 + b"]" * 65, (400, "[0]" * 64, f"nested deeper than {MAX_DEPTH} levels")),
        (b"[" * 5000 + b"]" * 5000, (400, "body", f"nested deeper than {MAX_DEPTH} levels")),
    ],
)
def test_unstorable_bodies_are_named(body: bytes, expected: tuple[int, str, str]) -> None:
    assert body_problem(body) == Unstorable(*expected)


def test_sixty_four_levels_are_allowed() -> None:
    assert first_unstorable(json.loads("[" * 64 + "1" + "]" * 64)) is None


def test_the_first_offender_in_document_order_is_named() -> None:
    doc = {"a": ["ok", {"b": "\x00"}], "c": float("nan")}
    assert first_unstorable(doc) == Unstorable(422, "a[1].b", "contains a NUL character (\\u0000)")


def _scope(content_type: bytes, encoding: bytes | None = None) -> dict[str, object]:
    headers = [(b"content-type", content_type)]
    if encoding is not None:
        headers.append((b"content-encoding", encoding))
    return {"type": "http", "headers": headers}


def test_utf8_and_ascii_bodies_pass_the_encoding_check() -> None:
    assert encoding_problem(b'{"a": 1}') is None
    assert encoding_problem('{"name": "Zoë 😀"}'.encode()) is None


def test_a_body_that_is_not_utf8_is_a_400_naming_the_body_and_the_byte() -> None:
    problem = encoding_problem(b'{"name": "\xff"}')
    assert problem == Unstorable(
        400, "body", "not valid UTF-8: byte 0xff at position 10", code="bad_request"
    )
    assert problem.error().code == "bad_request"


@pytest.mark.parametrize(
    "content_type",
    [b"application/json", b"application/yaml; charset=utf-8", b"text/plain", b"text/x-yaml"],
)
def test_every_text_body_is_checked_at_the_door(content_type: bytes) -> None:
    problem = door_problem(b"\xc3(", _scope(content_type))  # type: ignore[arg-type]
    assert problem is not None and problem.path == "body"


@pytest.mark.parametrize(
    ("content_type", "encoding"),
    [(b"application/json", b"gzip"), (b"application/octet-stream", None)],
)
def test_encoded_and_binary_bodies_are_left_to_their_readers(
    content_type: bytes, encoding: bytes | None
) -> None:
    assert door_problem(b"\x1f\x8b\xff", _scope(content_type, encoding)) is None  # type: ignore[arg-type]


@pytest.mark.parametrize("number", [2**53 - 1, -(2**53 - 1), 1e30, 10**15])
def test_integers_clients_read_exactly_pass(number: float) -> None:
    assert body_problem(json.dumps({"a": {"n": number}}).encode()) is None


@pytest.mark.parametrize("number", [2**53 + 1, -(2**53 + 1), 10**29])
def test_integers_past_2_53_are_named(number: int) -> None:
    problem = body_problem(json.dumps({"traits": {"id": [0, number]}}).encode())
    assert problem is not None
    assert (problem.status, problem.path) == (422, "traits.id[1]")
    assert "2^53" in problem.reason


def test_segment_ids_may_be_any_integer_since_they_are_read_as_text() -> None:
    call = {"userId": 2**63 - 1, "messageId": 2**64}
    assert body_problem(json.dumps({"batch": [call], **call}).encode()) is None
    named = body_problem(json.dumps({"properties": {"userId": 2**60}}).encode())
    assert named is not None and named.path == "properties.userId"
