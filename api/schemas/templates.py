from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, field_validator

from api.schemas.common import Body
from core.names import KNOWN_CHANNELS


class TemplateUpdate(Body):
    channel: str = Field(examples=["webhook"])
    subject: str | None = Field(None, max_length=10_000)
    body: str

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
    created_at: datetime
    updated_at: datetime
