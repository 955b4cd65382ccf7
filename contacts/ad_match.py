"""Customer-list matching for advertising audiences: the normalised form of an email or a
phone number, and its SHA-256, as the platforms' customer-list APIs expect them.

An email is trimmed and lower-cased; a phone is trimmed and put in E.164 (`+33612345678`)
by the entry rule of `contacts.addresses`, so the hash of a stored number matches what the
platform computes for the same person. A value that does not normalise is left out (None),
never hashed as written: a hash of a typo matches nobody and leaks a little.
"""

from __future__ import annotations

import hashlib

from contacts.addresses import Invalid, email, phone

SCHEMA = {"email": "EMAIL_SHA256", "phone": "PHONE_SHA256"}


def normal_email(value: str | None) -> str | None:
    """`"  Ada@Example.COM "` → `"ada@example.com"`, or None when it is no address."""
    if not value or not value.strip():
        return None
    lowered = value.strip().lower()
    return None if isinstance(email(lowered), Invalid) else lowered


def normal_phone(value: str | None) -> str | None:
    """`" +33 6 12 34 56 78"` → `"+33612345678"`, or None when it is no E.164 number."""
    if not value or not value.strip():
        return None
    checked = phone(value.strip())
    return None if isinstance(checked, Invalid) else checked


def sha256(value: str | None) -> str | None:
    return None if value is None else hashlib.sha256(value.encode()).hexdigest()


def hashed_row(
    identifiers: list[str], email_value: str | None, phone_value: str | None
) -> list[str | None]:
    """One row of `data`, in the order of `identifiers` (the `schema`)."""
    normal = {"email": normal_email(email_value), "phone": normal_phone(phone_value)}
    return [sha256(normal[kind]) for kind in identifiers]


def customer_list(identifiers: list[str], rows: list[list[str | None]]) -> dict[str, object]:
    """`{"schema": ["EMAIL_SHA256", "PHONE_SHA256"], "data": [[…], …]}`; a row with no
    usable identifier at all is dropped."""
    data = [row for row in rows if any(v is not None for v in row)]
    return {"schema": [SCHEMA[kind] for kind in identifiers], "data": data}
