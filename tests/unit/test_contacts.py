"""Address rules (contacts/addresses.py), table by table: what is stored, what is refused and
why, what may be sent to. No DNS, no server."""

from __future__ import annotations

import phonenumbers
import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given
from hypothesis import strategies as st

from contacts import addresses
from contacts.addresses import Invalid


@pytest.mark.parametrize(
    ("given_", "stored"),
    [
        ("ada@example.com", "ada@example.com"),
        ("first.last+tag@sub.example.co.uk", "first.last+tag@sub.example.co.uk"),
        ("a@b.c", "a@b.c"),
        ("o'brien@example.com", "o'brien@example.com"),
        ("Ada@Example.COM", "Ada@example.com"),  # domains are case-blind, local parts not
        ("Postmaster@example.com", "postmaster@example.com"),  # RFC 2142 names are too
        ("ada@bücher.example", "ada@xn--bcher-kva.example"),  # the ASCII form of the domain
    ],
)
def test_emails_stored(given_: str, stored: str) -> None:
    assert addresses.email(given_) == stored


@pytest.mark.parametrize(
    ("given_", "reason"),
    [
        ("bad<someone@example.test", "angle bracket"),
        ("bad<someone@example.com", "angle bracket"),
        ("Ada <ada@example.com>", "display name"),
        ("ada@example.com> NOTIFY=SUCCESS", "invalid characters"),
        ("a@x.com,b@y.com", "invalid characters"),
        ("a@x.com(b@y.com)", "invalid characters"),
        ('"a b"@example.com', "quoting"),
        ("ada@[127.0.0.1]", "bracketed IP"),
        ("ädä@example.com", "internationalized characters before the @-sign"),
        ("not-an-email", "must have an @-sign"),
        ("x@y", "should have a period"),
        ("someone@example.test", "special-use"),
        ("u@mail.localhost", "special-use"),
        ("a..b@example.com", "two periods"),
        (" ada@example.com", "SPACE"),
        ("ada@example.com\n", "U+000A"),
        ("ada@-example.com", "hyphen"),
        ("ada@ab--cd.com", "two dashes"),
        ("", "@-sign"),
    ],
)
def test_emails_refused(given_: str, reason: str) -> None:
    checked = addresses.email(given_)
    assert isinstance(checked, Invalid) and reason in checked.reason
    assert checked.reason.startswith("not an email address: ")


def test_not_a_string_is_refused_by_every_rule() -> None:
    for rule in (addresses.email, addresses.phone, addresses.push_token):
        assert rule(12) == Invalid("must be a string")
        assert rule(None) == Invalid("must be a string")


@pytest.mark.parametrize(
    ("stored", "envelope"),
    [
        ("ada@example.com", "ada@example.com"),
        ("Ada@Example.COM", "Ada@Example.COM"),  # an old row: the same mailbox, sent as is
        ("bad<someone@example.test", None),  # parses to someone@example.test: refused
        ("Ada Lovelace <ada@example.com>", None),
        ("a@x.com,b@y.com", None),
        ("ada@bücher.example", None),  # no SMTPUTF8 on the pool's connections
        ("someone@example.test", None),
    ],
)
def test_sendable_email_is_the_stored_string_or_nothing(stored: str, envelope: str | None) -> None:
    checked = addresses.sendable_email(stored)
    if envelope is None:
        assert isinstance(checked, Invalid)
    else:
        assert checked == envelope


@given(st.from_regex(addresses._PLAIN_EMAIL, fullmatch=True))
def test_the_fast_path_agrees_with_the_library(value: str) -> None:
    """What the regular expression accepts, `validate_email` accepts and hands back as is;
    what it leaves out goes to the library anyway."""
    if not addresses._plain_email(value):
        return
    checked = validate_email(value, check_deliverability=False, allow_smtputf8=False)
    assert checked.ascii_email == value


@given(st.text(max_size=40))
def test_every_answer_is_the_librarys(value: str) -> None:
    try:
        expected: str | None = validate_email(
            value, check_deliverability=False, allow_smtputf8=False
        ).ascii_email
    except EmailNotValidError:
        expected = None
    checked = addresses.email(value)
    assert (None if isinstance(checked, Invalid) else checked) == expected


@pytest.mark.parametrize(
    ("given_", "stored"),
    [
        ("+33 6 12 34 56 78", "+33612345678"),
        ("+33612345678", "+33612345678"),
        ("+1 (415) 555-2671", "+14155552671"),
        ("+1.415.555.2671", "+14155552671"),
        ("+15557654321", "+15557654321"),  # possible, if not assigned: the provider says
        ("+39 06 1234 5678", "+390612345678"),  # Italy keeps its leading zero
        ("+44 20 7946 0958", "+442079460958"),
        ("+800 1234 5678", "+80012345678"),  # a non-geographic country code
    ],
)
def test_phones_stored_in_e164(given_: str, stored: str) -> None:
    assert addresses.phone(given_) == stored
    # the same number `phonenumbers.parse` finds, the digits untouched
    parsed = phonenumbers.parse(given_)
    assert phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == stored


@pytest.mark.parametrize(
    ("given_", "reason"),
    [
        ("0612345678", "must start with + and the country code"),
        ("06 12 34 56 78", "must start with +"),
        ("+", "must follow the +"),
        ("+1-800-FLOWERS", "only digits"),
        ("+33 6 12 34 56 78 ext. 12", "only digits"),
        ("+33 6 12 34 56 78 / +44 20 7946 0958", "only digits"),
        ("+٣٣٦١٢٣٤٥٦٧٨", "only digits"),  # digits, but not ASCII ones
        ("+44 (0)20 7946 0958", "national prefix (0)"),
        ("+0123456789", "no country code begins +012"),
        ("+999 1234567", "no country code begins +999"),
        ("+331234", "too short for country code +33"),
        ("+1 555 0100", "a local number lacks its area code"),
        ("+33 6 12 34 56 78 90", "too long for country code +33"),
        ("+1234567890123456", "longer than E.164's 15 digits"),
        ("+1", "too short for country code +1"),
    ],
)
def test_phones_refused(given_: str, reason: str) -> None:
    checked = addresses.phone(given_)
    assert isinstance(checked, Invalid) and reason in checked.reason, checked
    assert checked.reason.startswith("not an E.164 phone number: ")


@pytest.mark.parametrize(
    "token",
    [
        "dev-ok",
        "cK8xQ3c5R0a:APA91bHun4MxP5egoKMwt2KZFBaFUH-1RYqx_ABC.def~x",  # FCM's shape
        "0f" * 32,  # an APNs token, hex
        "a+b/c==",
        "x" * 4096,
    ],
)
def test_push_tokens_kept_as_given(token: str) -> None:
    assert addresses.push_token(token) == token


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("", "not a device token: empty"),
        ("a,b", "only letters, digits"),  # stored as one, it would be sent as two
        ("dev ok", "only letters, digits"),
        ("dev\nok", "only letters, digits"),
        ("dév", "only letters, digits"),
        ("x" * 4097, "longer than 4096"),
    ],
)
def test_push_tokens_refused(token: str, reason: str) -> None:
    checked = addresses.push_token(token)
    assert isinstance(checked, Invalid) and reason in checked.reason


@pytest.mark.parametrize(
    ("value", "answer"),
    [
        ([], []),
        (["dev-a", "dev-b"], ["dev-a", "dev-b"]),
        (
            ["dev-a", "a,b"],
            Invalid("not a device token: only letters, digits and - _ : . ~ + / = may appear", 1),
        ),
        (["dev-a", 7], Invalid("must be a string", 1)),
        ("dev-a", Invalid("not a list of device tokens")),
        ({"a": 1}, Invalid("not a list of device tokens")),
    ],
)
def test_push_token_lists(value: object, answer: list[str] | Invalid) -> None:
    checked = addresses.push_tokens(value)
    if isinstance(answer, Invalid):
        assert isinstance(checked, Invalid) and checked.reason.startswith(answer.reason)
        assert checked.index == answer.index
    else:
        assert checked == answer
