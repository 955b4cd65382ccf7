from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator

from api.schemas.common import Body


class EventCreate(Body):
    event_id: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="Idempotency key; a repeated id is acknowledged and ignored",
    )
    name: str = Field(min_length=1, max_length=200, examples=["cart.updated"])
    profile_id: str = Field(min_length=1, max_length=200)
    timestamp: datetime | None = Field(
        None, description="When it happened (default: now); without a zone it is UTC"
    )
    properties: dict[str, Any] = Field(default_factory=dict)

    @field_validator("name", "profile_id")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value

    @field_validator("timestamp")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class EventBatchCreate(Body):
    events: list[EventCreate] = Field(min_length=1)


class EventAccepted(BaseModel):
    event_id: str
    duplicate: bool


class BatchAccepted(BaseModel):
    accepted: int
    duplicates: int
    event_ids: list[str]
