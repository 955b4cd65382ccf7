"""The door's decision on bodies PostgreSQL could not store, without a server."""

from __future__ import annotations

import json

import pytest

from api.storable import MAX_DEPTH, Unstorable, body_problem, first_unstorable, string_problem


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
