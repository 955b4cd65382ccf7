"""The rules campaigns add: transactional sends still respect a channel-wide opt-out, and
each per-entity message counts against its profile's cap (decision 24)."""

from __future__ import annotations

from datetime import timedelta

from activities.rules import Outgoing, SendFacts, _judge, skip_reason


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


def _out(profile: str, key: str, *, transactional: bool = False) -> Outgoing:
    return Outgoing(
        message_id=f"{profile}/{key}",
        profile_id=profile,
        journey_id=None,
        version=None,
        node_id="",
        workflow_id="w",
        channel="log",
        template="t",
        recipient=None,
        subject=None,
        body=None,
        topic=None,
        transactional=transactional,
        entity_type="booking",
        entity_key=key,
    )


def _row(used: int, existing: bool = False) -> dict[str, object]:
    return {
        "existing": existing,
        "channel_unsubscribed": False,
        "topic_unsubscribed": False,
        "suppressed": None,
        "cap_max": 2,
        "cap_period": timedelta(days=1),
        "cap_used": used,
    }


def test_each_per_entity_message_counts_against_its_profiles_cap() -> None:
    """Cap 2 a day: a's third booking is capped; b (one sent before) gets one more."""
    outs = [_out("a", "1"), _out("a", "2"), _out("a", "3"), _out("b", "1"), _out("b", "2")]
    rows = [_row(0), _row(0), _row(0), _row(1), _row(1)]
    statuses, reasons = _judge(outs, rows, "sent")
    assert statuses == ["sent", "sent", "skipped", "sent", "skipped"]
    assert reasons == [None, None, "frequency cap: 2 per 1d", None, "frequency cap: 2 per 1d"]


def test_rows_an_earlier_attempt_wrote_are_not_counted_twice() -> None:
    """A retry: the ledger's cap_used counts a's first row already; the new one still fits."""
    outs = [_out("a", "1"), _out("a", "2")]
    statuses, _ = _judge(outs, [_row(1, existing=True), _row(1)], "sent")
    assert statuses == ["sent", "sent"]


def test_transactional_messages_do_not_count() -> None:
    outs = [_out("a", str(i), transactional=True) for i in range(4)]
    statuses, _ = _judge(outs, [_row(0) for _ in outs], "sent")
    assert statuses == ["sent"] * 4
