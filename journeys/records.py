"""The runtime data a journey reads: the events and the profile of the profile inside.

Kept apart from the definition language so that the runtime types, the expression
context and the node types can use them without importing the definition models (which
are built from the node types).
"""

from __future__ import annotations

from typing import Any

from pydantic import AwareDatetime, BaseModel, Field

LOCALE_ATTRIBUTE = "locale"


class Event(BaseModel):
    """An event of a profile, as stored by the ingest outbox and fed to journeys."""

    event_id: str
    name: str
    profile_id: str
    timestamp: AwareDatetime
    properties: dict[str, Any] = Field(default_factory=dict)


class Profile(BaseModel):
    """The profile fields expressions and channels read."""

    profile_id: str
    email: str | None = None
    phone: str | None = None
    timezone: str | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)
    audiences: list[str] = Field(
        default_factory=list, description="Ids of the audiences the profile is a member of"
    )

    @property
    def locale(self) -> str | None:
        """`profile.locale` in templates: the `locale` attribute (a BCP 47 tag such as
        `fr-CA`), which chooses the locale variant of each template and fragment. Read from
        the attributes, not stored apart, so every way an attribute is set sets it."""
        value = self.attributes.get(LOCALE_ATTRIBUTE)
        return value if isinstance(value, str) else None
