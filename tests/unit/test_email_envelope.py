"""The SMTP envelope `build_email` hands to the pool: addresses are checked once, there,
because the pool writes them onto MAIL and RCPT lines without parsing them again; the
recipient is the stored address itself or nothing."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from activities.channels.base import ChannelError, Rendered
from activities.channels.email import SmtpConfig, build_email

CONFIG = SmtpConfig(sender="Shop <news@shop.example.com>")


def rendered(recipient: str) -> Rendered:
    return Rendered(recipient=recipient, subject="Hi", body="Hello", html="<p>Hello</p>")


@pytest.mark.parametrize(
    ("recipient", "envelope"),
    [
        ("ada@example.com", "ada@example.com"),
        ("first.last+tag@sub.example.co.uk", "first.last+tag@sub.example.co.uk"),
        ("Ada@Example.COM", "Ada@Example.COM"),  # an old row: sent exactly as stored
    ],
)
def test_envelope_addresses(recipient: str, envelope: str) -> None:
    msg = build_email(CONFIG, "m-1", rendered(recipient))
    assert msg.sender == "news@shop.example.com"
    assert msg.recipients == [envelope]


@pytest.mark.parametrize(
    "recipient",
    [
        "",
        "ada@example.com> NOTIFY=SUCCESS",
        "a da@example.com",
        'ada"@example.com',
        "ädä@example.com",  # needs SMTPUTF8, which the pool does not negotiate
        # a stored profile address is one bare address: what a parser would extract from
        # these is another mailbox than the stored string (issue 13)
        "bad<someone@example.test",
        "bad<someone@example.com",
        "Ada Lovelace <ada@example.com>",
        "Ada Ünïcode <ada@example.com>",
        "a@example.com,b@example.com",
        "a@example.com (b@example.com)",
        "someone@example.test",
    ],
)
def test_unsafe_recipients_fail_for_good(recipient: str) -> None:
    with pytest.raises(ChannelError, match="invalid recipient address") as caught:
        build_email(CONFIG, "m-1", rendered(recipient))
    assert caught.value.retryable is False and caught.value.hard_bounce is False


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=60))
def test_no_recipient_text_reaches_the_command_line_unchecked(recipient: str) -> None:
    """Whatever a profile's address holds, the envelope is one bare ASCII mailbox or the
    message fails for good: nothing can add parameters or commands to RCPT."""
    try:
        msg = build_email(CONFIG, "m-1", rendered(recipient))
    except ChannelError as exc:
        assert exc.retryable is False
        return
    [envelope] = msg.recipients
    assert envelope and envelope.isascii()
    assert not re.search(r'[\s<>"]', envelope)
    assert envelope == recipient  # only ever the stored address


def test_unsafe_sender_fails_for_good() -> None:
    config = SmtpConfig(sender='"Shop" <news"@shop.example.com>')
    with pytest.raises(ChannelError, match="invalid sender address"):
        build_email(config, "m-1", rendered("ada@example.com"))
