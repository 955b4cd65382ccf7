from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, field_validator

from api.schemas.common import Body


class _ProfileFields(Body):
    email: str | None = Field(None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    phone: str | None = Field(None, max_length=40, pattern=r"^\+?[0-9 ().-]{3,}$")
    timezone: str | None = Field(None, max_length=64, examples=["Europe/Paris"])

    @field_validator("timezone")
    @classmethod
    def _iana(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r}") from None
        return value


class ProfileUpdate(_ProfileFields):
    """PUT: the profile becomes exactly this."""

    attributes: dict[str, Any] = Field(default_factory=dict)


class ProfilePatch(_ProfileFields):
    """PATCH: given fields are set; attributes merge at the top level, null removes one."""

    attributes: dict[str, Any] = Field(default_factory=dict)


class ProfilePublic(BaseModel):
    profile_id: str
    email: str | None
    phone: str | None
    timezone: str | None
    attributes: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class ProfileJourneyPublic(BaseModel):
    run_id: str
    workflow_id: str
    journey_id: str
    version: int
    status: str
    reason: str | None
    entered_at: datetime
    ended_at: datetime | None
    current_node: str | None = Field(
        None, description="For active entries: the node the workflow is at (state query)"
    )
    state_error: str | None = Field(None, description="Why the state query failed, if it did")
