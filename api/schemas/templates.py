from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator

from api.schemas.common import Body
from content.locales import valid_tag
from core.names import KNOWN_CHANNELS

LOCALES_DESCRIPTION = (
    "Variants by BCP 47 tag (`fr`, `fr-CA`), chosen by the profile's `locale` attribute "
    "along `fr-CA -> fr -> default`; the default is the definition's own text"
)


def check_tags(value: dict[str, Any]) -> dict[str, Any]:
    """Variant keys are locale tags: `default` is the definition's own text, not a key."""
    for tag in value:
        if not valid_tag(tag):
            raise ValueError(f"{tag!r} is not a locale tag such as 'fr' or 'fr-CA'")
    return value


class TemplateVariant(Body):
    """A template's text in one locale: every part it sends in that locale."""

    subject: str | None = Field(None, max_length=10_000)
    body: str
    html: str | None = None


class TemplateUpdate(Body):
    channel: str = Field(examples=["webhook"])
    subject: str | None = Field(None, max_length=10_000)
    body: str = Field(description="Jinja2 text (the text part of an email)")
    html: str | None = Field(None, description="Jinja2 HTML, autoescaped (email only)")
    topic: str | None = Field(
        None, max_length=200, description="Subscription topic a recipient can leave"
    )
    transactional: bool = Field(
        False, description="Bypasses marketing consent and frequency caps, never suppression"
    )
    locales: dict[str, TemplateVariant] = Field(
        default_factory=dict, max_length=200, description=LOCALES_DESCRIPTION
    )

    _tags = field_validator("locales")(check_tags)

    @field_validator("channel")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in KNOWN_CHANNELS:
            known = ", ".join(sorted(KNOWN_CHANNELS))
            raise ValueError(f"unknown channel {value!r}; known: {known}")
        return value


class TemplatePublic(BaseModel):
    name: str
    channel: str
    subject: str | None
    body: str
    html: str | None
    topic: str | None
    transactional: bool
    locales: dict[str, TemplateVariant]
    created_at: datetime
    updated_at: datetime
