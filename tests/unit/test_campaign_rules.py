"""The one rule campaigns add: transactional sends still respect a channel-wide opt-out."""

from __future__ import annotations

from activities.rules import SendFacts, skip_reason


def test_transactional_bypasses_caps_and_topics_but_not_channel_consent_when_asked() -> None:
    base = SendFacts(
        channel="email",
        topic="orders",
        transactional=True,
        topic_unsubscribed=True,
        cap_max=0,
        cap_used=5,
    )
    assert skip_reason(base) is None
    out = SendFacts(**{**base.__dict__, "channel_unsubscribed": True})
    assert skip_reason(out) is None  # journeys: transactional bypasses consent (issue 4)
    strict = SendFacts(**{**out.__dict__, "channel_consent": True})
    assert skip_reason(strict) == "unsubscribed from email"
    suppressed = SendFacts(**{**base.__dict__, "suppressed": "complaint"})
    assert skip_reason(suppressed) == "suppressed address (complaint)"
    marketing = SendFacts(**{**base.__dict__, "transactional": False, "topic_unsubscribed": False})
    assert skip_reason(marketing) == "frequency cap: 0 per ?"
