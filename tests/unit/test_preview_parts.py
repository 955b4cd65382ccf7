"""What a preview shows per channel, and where a proof goes (activities/previews.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from activities.channels.base import Rendered
from activities.previews import addressed, preview_of
from core.content_contracts import RenderRequest
from journeys.model import Event, Profile

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
PROFILE = Profile(profile_id="ada", email="ada@example.com", attributes={"push_tokens": ["a"]})


def request(channel: str) -> RenderRequest:
    event = Event(event_id="e", name="go", profile_id="ada", timestamp=NOW)
    return RenderRequest(
        template="t", channel=channel, profile=PROFILE, event=event, now=NOW, message_id="preview:1"
    )


def test_an_sms_preview_counts_its_segments() -> None:
    got = preview_of(request("sms"), Rendered("+33612345678", None, "€" * 81, locale="fr"))
    assert got.sms is not None and (got.sms.segments, got.sms.encoding, got.sms.units) == (
        2,
        "GSM-7",
        162,
    )
    assert (got.locale, got.push, got.webhook) == ("fr", None, None)


def test_a_push_preview_holds_one_fcm_body_per_device() -> None:
    got = preview_of(request("push"), Rendered("d1,d2", "Title", "Body"))
    assert got.push is not None and [m["message"]["token"] for m in got.push] == ["d1", "d2"]
    assert got.push[0]["message"]["notification"] == {"body": "Body", "title": "Title"}
    assert got.push[0]["message"]["data"] == {"message_id": "preview:1"}


def test_a_webhook_preview_is_the_posted_body() -> None:
    got = preview_of(request("webhook"), Rendered("ada@example.com", "S", "B"))
    assert got.webhook == {
        "message_id": "preview:1",
        "profile_id": "ada",
        "journey": {},
        "node": None,
        "recipient": "ada@example.com",
        "subject": "S",
        "body": "B",
    }


def test_a_proof_replaces_the_address_of_its_channel_only() -> None:
    assert addressed(PROFILE, "email", "qa@example.com").email == "qa@example.com"
    sms = addressed(PROFILE, "sms", "+33612345678")
    assert (sms.phone, sms.email) == ("+33612345678", "ada@example.com")
    push = addressed(PROFILE, "push", "tok")
    assert push.attributes["push_tokens"] == ["tok"] and PROFILE.attributes["push_tokens"] == ["a"]
