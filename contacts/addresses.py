"""The addresses Wayline stores and sends to: one rule per kind, the same at entry and at send.

Each rule takes what arrived (a profile write, an import cell, a Segment trait, or a stored
value at send time) and answers the normalised address, or `Invalid` saying why not. Syntax
only: no DNS lookup, nothing read from outside, so an address gets the same answer wherever
it is checked. The kinds:

- **email**: an addr-spec as `email-validator` judges it without deliverability checks
  (`check_deliverability=False`): no display name, no angle brackets, no quoted local part,
  no IP literal, ASCII before the `@` (the SMTP pool does not negotiate SMTPUTF8), a domain
  with a period outside the special-use names (`.test`, `.localhost`, ...). Normalised to
  its ASCII form: the domain lower-cased (an internationalised one as `xn--...`).
- **phone**: E.164, `+` then the country code and the number, with spaces, dots, hyphens
  or parentheses as separators; its country code must exist and its length must be possible
  there (`phonenumbers`); every digit given is dialled (no `(0)`, extension or letters).
  Normalised to `+` and digits.
- **push token**: an FCM (or APNs) device token: 1 to 4,096 characters of letters, digits
  and `-_:.~+/=`; never a comma or a space, which would make one stored token read as two.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import phonenumbers
from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email
from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES


@dataclass(frozen=True, slots=True)
class Invalid:
    """Why a value is not an address of its kind (a sentence for an API answer or a ledger);
    `index` is the position of the bad item in a list (push tokens)."""

    reason: str
    index: int | None = None


# ----------------------------------------------------------------------------- email

_ATEXT = r"[A-Za-z0-9_!#$%&'*+/=?^`{|}~-]+"
_PLAIN_EMAIL = re.compile(
    rf"(?P<local>{_ATEXT}(?:\.{_ATEXT})*)@"
    r"(?P<domain>(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63})"
)

_CASE_BLIND_LOCAL = frozenset(CASE_INSENSITIVE_MAILBOX_NAMES)
_SPECIAL_USE = frozenset(SPECIAL_USE_DOMAIN_NAMES)
_SPECIAL_USE_SUFFIXES = tuple(f".{name}" for name in SPECIAL_USE_DOMAIN_NAMES)


def _plain_email(value: str) -> bool:
    """The everyday shape, which `validate_email` would hand back unchanged: checked with a
    regular expression instead (a row of a million-row import, a message of a campaign)
    because the library takes tens of microseconds. tests/unit/test_contacts.py holds this
    to the library's verdict; anything else takes the library's path."""
    m = _PLAIN_EMAIL.fullmatch(value)
    if m is None or len(value) > 254 or len(m["local"]) > 64 or "--" in m["domain"]:
        return False
    if m["local"].lower() in _CASE_BLIND_LOCAL:
        return False  # the library lower-cases these (RFC 2142)
    domain = m["domain"]
    return not (domain in _SPECIAL_USE or domain.endswith(_SPECIAL_USE_SUFFIXES))


def email(value: object) -> str | Invalid:
    """An email address in its stored form, or why it is none."""
    if not isinstance(value, str):
        return Invalid("must be a string")
    if _plain_email(value):
        return value
    try:
        checked = validate_email(value, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        why = str(exc)
        return Invalid(f"not an email address: {why[:1].lower()}{why[1:]}")
    return checked.ascii_email or checked.normalized


def sendable_email(stored: str) -> str | Invalid:
    """The envelope recipient for a stored address: the stored string itself, or Invalid.

    Rows written before these rules may hold anything: `bad<someone@example.test` parses
    to someone else's mailbox, so the stored string must pass the entry rule as it is. An
    ASCII string the rule accepts is one bare address, so the recipient is the stored text.
    """
    if not stored.isascii():
        return Invalid("not ASCII (the SMTP connection does not negotiate SMTPUTF8)")
    checked = email(stored)
    return checked if isinstance(checked, Invalid) else stored


# ----------------------------------------------------------------------------- phone

_SEPARATORS = str.maketrans("", "", " ().-")
_E164_MAX_DIGITS = 15
_COUNTRY_CODES = frozenset(str(code) for code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE)
_POSSIBLE = phonenumbers.ValidationResult
_LENGTH_PROBLEMS = {  # what `is_possible_number_with_reason` found
    _POSSIBLE.TOO_SHORT: "too short",
    _POSSIBLE.TOO_LONG: "too long",
    _POSSIBLE.INVALID_LENGTH: "not a possible length",
    _POSSIBLE.IS_POSSIBLE_LOCAL_ONLY: "too short (a local number lacks its area code)",
}


def phone(value: object) -> str | Invalid:
    """A phone number in E.164 (`+33612345678`), or why it is none."""
    if not isinstance(value, str):
        return Invalid("must be a string")
    checked = _e164(value)
    if isinstance(checked, Invalid):
        return Invalid(f"not an E.164 phone number: {checked.reason}")
    return checked


def _e164(value: str) -> str | Invalid:
    """`+` and the digits, if they are a possible number as given."""
    if not value.startswith("+"):
        return Invalid("must start with + and the country code (E.164)")
    if "(0)" in value:
        return Invalid("leave out the national prefix (0): it is not dialled after a country code")
    digits = value[1:].translate(_SEPARATORS)
    if not digits:
        return Invalid("the country code and number must follow the +")
    if not (digits.isascii() and digits.isdigit()):
        return Invalid("only digits, spaces, dots, hyphens and parentheses may follow the +")
    if len(digits) > _E164_MAX_DIGITS:
        return Invalid(f"longer than E.164's {_E164_MAX_DIGITS} digits")
    code = _country_code(digits)
    if code is None:
        return Invalid(f"no country code begins +{digits[:3]}")
    problem = _length_problem(code, len(digits) - len(str(code)))
    return Invalid(f"{problem} for country code +{code}") if problem else "+" + digits


def _country_code(digits: str) -> int | None:
    """Country codes are prefix-free, 1 to 3 digits (as `phonenumbers.parse` finds them)."""
    if digits.startswith("0"):
        return None
    for size in (1, 2, 3):
        if digits[:size] in _COUNTRY_CODES:
            return int(digits[:size])
    return None


@functools.cache
def _length_problem(code: int, length: int) -> str | None:
    """Whether national digits of this length are a possible number in that country.

    `is_possible_number` "only checks the length of phone numbers" (its documented contract),
    so the verdict is kept per (country code, length): an import of a million rows asks a
    few dozen times. The digits are judged as given, not through `phonenumbers.parse`, which
    would also drop a national prefix (`+44 (0)20...`): the digits sent are the ones stored.
    """
    if not length:
        return "too short"
    number = phonenumbers.PhoneNumber(country_code=code, national_number=int("1" * length))
    result = phonenumbers.is_possible_number_with_reason(number)
    if result == _POSSIBLE.IS_POSSIBLE:
        return None
    return _LENGTH_PROBLEMS.get(result, "not a possible number")


# ----------------------------------------------------------------------------- push tokens

_PUSH_TOKEN = re.compile(r"[A-Za-z0-9_:.~+/=-]{1,4096}")


def push_token(value: object) -> str | Invalid:
    """A device token as stored (tokens are opaque: nothing to normalise), or why not."""
    if not isinstance(value, str):
        return Invalid("must be a string")
    if not value:
        return Invalid("not a device token: empty")
    if len(value) > 4096:
        return Invalid("not a device token: longer than 4096 characters")
    if not _PUSH_TOKEN.fullmatch(value):
        return Invalid("not a device token: only letters, digits and - _ : . ~ + / = may appear")
    return value


def push_tokens(value: object) -> list[str] | Invalid:
    """`attributes.push_tokens`: a list of device tokens; the first bad one is named by its
    position (`push_tokens[1]`)."""
    if not isinstance(value, list):
        return Invalid("not a list of device tokens")
    for index, token in enumerate(value):
        checked = push_token(token)
        if isinstance(checked, Invalid):
            return Invalid(checked.reason, index)
    return list(value)
