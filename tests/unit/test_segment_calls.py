"""Segment call parsing, write-key extraction, timeline cursors and visibility literals."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from api.routes.segment import write_key
from api.routes.timeline import decode_cursor, encode_cursor
from api.schemas.segment import SegmentCall
from api.segment_ingest import parse_batch, parse_call, timezone_of, to_event
from services.erasure import visibility_literal

NOW = datetime(2026, 12, 3, tzinfo=UTC)


def _basic(user: str, password: str = "") -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize(
    ("header", "key"),
    [
        (_basic("wl_abc"), "wl_abc"),
        (_basic("wl_abc", "ignored"), "wl_abc"),
        ("Bearer wl_abc", "wl_abc"),
        ("bearer   wl_abc ", "wl_abc"),
        (_basic(""), None),
        ("Basic !!!not-base64", None),
        ("Digest wl_abc", None),
        ("", None),
        (None, None),
    ],
)
def test_write_key(header: str | None, key: str | None) -> None:
    assert write_key(header) == key


def test_track_becomes_an_event_with_the_message_id() -> None:
    parsed = parse_call(
        NOW,
        "track",
        {
            "userId": 42,
            "anonymousId": "a",
            "event": "Order Completed",
            "messageId": "m-1",
            "timestamp": "2026-05-01T10:00:00",
            "properties": {"total": 3},
            "integrations": {"All": True},
        },
        "",
    )
    assert not isinstance(parsed, list)
    event = parsed.event
    assert event is not None and event == to_event(parsed.kind, parsed.call)
    assert (event.event_id, event.name, event.profile_id) == ("m-1", "Order Completed", "42")
    assert event.timestamp == datetime(2026, 5, 1, 10, tzinfo=UTC)
    assert event.properties == {"total": 3}


@pytest.mark.parametrize("kind", ["page", "screen"])
def test_page_and_screen_are_named_by_type(kind: str) -> None:
    parsed = parse_call(
        NOW,
        None,
        {"type": kind, "anonymousId": "a", "name": "Home", "category": "c", "properties": None},
        "",
    )
    assert not isinstance(parsed, list)
    event = parsed.event
    assert event is not None and event.name == kind and event.profile_id == "a"
    assert event.properties == {"name": "Home", "category": "c"}


@pytest.mark.parametrize(
    ("kind", "raw", "fields"),
    [
        ("track", {"event": "x"}, ["userId"]),
        ("track", {"userId": "u", "event": "  "}, ["event"]),
        ("identify", {"userId": ""}, ["userId"]),
        (
            "identify",
            {"userId": "u", "traits": {"email": "x", "phone": 12}},
            ["traits.email", "traits.phone"],
        ),
        ("alias", {"userId": "u"}, ["previousId"]),
        ("alias", {}, ["userId", "previousId"]),
        (None, {"userId": "u"}, ["type"]),
        (None, {"type": "group", "userId": "u"}, ["type"]),
        ("track", {"userId": "u", "event": "x", "messageId": ""}, ["messageId"]),
        ("track", {"userId": "u", "event": "x", "properties": []}, ["properties"]),
        ("track", {"userId": "u", "event": "x", "timestamp": "yesterday"}, ["timestamp"]),
        ("page", {"userId": True}, ["userId"]),
    ],
)
def test_errors_name_the_segment_field(
    kind: str | None, raw: dict[str, object], fields: list[str]
) -> None:
    parsed = parse_call(NOW, kind, raw, "batch[2]")  # type: ignore[arg-type]
    assert isinstance(parsed, list)
    assert [e["field"] for e in parsed] == [f"batch[2].{f}" for f in fields]


def test_batch_context_applies_under_the_item_context() -> None:
    parsed = parse_call(
        NOW,
        None,
        {"type": "identify", "userId": "u", "context": {"timezone": "Asia/Tokyo"}},
        "batch[0]",
        {"timezone": "Europe/Paris", "ip": "1.2.3.4"},
    )
    assert not isinstance(parsed, list)
    assert parsed.call.context == {"timezone": "Asia/Tokyo", "ip": "1.2.3.4"}
    assert parsed.event is None


def test_batch_items_fail_alone() -> None:
    good = {"type": "track", "userId": "u", "event": "e"}
    parsed, errors = parse_batch(NOW, [good, {"type": "track"}, good], {"timezone": "UTC"})
    assert [p.call.context for p in parsed] == [{"timezone": "UTC"}] * 2
    assert [e["field"] for e in errors] == ["batch[1].userId", "batch[1].event"]
    parsed, errors = parse_batch(NOW, [good, good], None)
    assert len(parsed) == 2 and errors == []


@pytest.mark.parametrize(
    ("context", "zone"),
    [
        ({"timezone": "Europe/Paris"}, "Europe/Paris"),
        ({"timezone": "Mars/Olympus"}, None),
        ({"timezone": "../../etc/passwd"}, None),
        ({"timezone": 5}, None),
        ({}, None),
    ],
)
def test_timezone_is_a_hint(context: dict[str, object], zone: str | None) -> None:
    assert timezone_of(SegmentCall(userId="u", context=context)) == zone


def test_cursor_round_trip_and_garbage() -> None:
    at = datetime(2026, 1, 2, 3, 4, 5, 678, tzinfo=UTC)
    assert decode_cursor(encode_cursor(at, "event", "00000000000000000042")) == (
        at,
        "event",
        "00000000000000000042",
    )
    for bad in ("bogus", "", base64.urlsafe_b64encode(b'["2026-01-01", "e", "k"]').decode()):
        with pytest.raises(ValueError):
            decode_cursor(bad)


def test_visibility_literal_escapes_quotes() -> None:
    assert visibility_literal("plain") == "'plain'"
    assert visibility_literal("o'brien\\x") == "'o\\'brien\\\\x'"


def test_identify_addresses_follow_the_profile_rules() -> None:
    """A trait that would mail someone else refuses the call, named; good ones are stored
    normalised like the profiles API's (contacts/addresses.py)."""
    bad = {
        "userId": "u",
        "traits": {
            "email": "bad<someone@example.test",
            "phone": "0612345678",
            "push_tokens": ["dev-a", "a,b"],
            "plan": "pro",
        },
    }
    parsed = parse_call(NOW, "identify", bad, "batch[0]")
    assert isinstance(parsed, list)
    fields = {e["field"]: e["message"] for e in parsed}
    assert list(fields) == [
        "batch[0].traits.email",
        "batch[0].traits.phone",
        "batch[0].traits.push_tokens[1]",
    ]
    assert fields["batch[0].traits.email"].startswith("not an email address: ")
    good = {
        "userId": "u",
        "traits": {"email": "Ada@Example.COM", "phone": "+33 6 12 34 56 78", "push_tokens": None},
    }
    parsed = parse_call(NOW, "identify", good, "")
    assert not isinstance(parsed, list)
    assert parsed.call.traits == {
        "email": "Ada@example.com",
        "phone": "+33612345678",
        "push_tokens": None,
    }
