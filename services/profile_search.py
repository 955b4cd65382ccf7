"""Finding a profile by what a person knows of it: its id, an id merged into it (alias), its
email or its phone. The console's profile inspector searches with one text box, so one text
is tried as each; a text that is no email or no phone is simply not compared as one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from contacts import addresses
from db.sql import q
from db.types import Executor


@dataclass(frozen=True)
class ProfileMatch:
    """A profile and how the text named it: `id`, `alias`, `email` or `phone`."""

    profile_id: str
    email: str | None
    phone: str | None
    timezone: str | None
    attributes: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    matched_by: str


@dataclass(frozen=True)
class Membership:
    """An audience a profile is in now."""

    audience_id: str
    name: str
    entered_at: datetime


def _valid(checked: str | addresses.Invalid) -> str | None:
    return None if isinstance(checked, addresses.Invalid) else checked


async def find(conn: Executor, text: str, limit: int) -> list[ProfileMatch]:
    """The profiles `text` names, the id match first, then alias, email, phone."""
    email, phone = _valid(addresses.email(text)), _valid(addresses.phone(text))
    rows = await conn.fetch(q("find_profiles"), text, email, phone, limit)
    return [ProfileMatch(**dict(r)) for r in rows]


async def memberships(conn: Executor, profile_id: str) -> list[Membership]:
    """The audiences the profile (or the profile an alias names) is in now."""
    rows = await conn.fetch(q("profile_memberships"), profile_id)
    return [Membership(**dict(r)) for r in rows]
