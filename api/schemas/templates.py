from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, field_validator

from api.schemas.common import Body
from core.names import KNOWN_CHANNELS


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
    created_at: datetime
    updated_at: datetime
