from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from api.schemas.common import Body
from contacts.purposes import PURPOSE_CHANNEL
from core.names import KNOWN_CHANNELS
from journeys.durations import parse_duration


def known_channel(value: str) -> str:
    if value not in KNOWN_CHANNELS:
        raise ValueError(f"unknown channel {value!r}; known: {', '.join(sorted(KNOWN_CHANNELS))}")
    return value


def subscription_channel(value: str) -> str:
    """A channel, or `purpose` (a consent purpose, its name in `topic`: contacts/purposes.py)."""
    return value if value == PURPOSE_CHANNEL else known_channel(value)


class SubscriptionUpdate(Body):
    channel: str = Field(examples=["email"], description="A channel, or `purpose`")
    topic: str | None = Field(
        None, max_length=200, description="Null for the whole channel", examples=["newsletter"]
    )
    status: Literal["subscribed", "unsubscribed"]

    _channel = field_validator("channel")(subscription_channel)

    @model_validator(mode="after")
    def _purpose_named(self) -> SubscriptionUpdate:
        if self.channel == PURPOSE_CHANNEL and not self.topic:
            raise ValueError("a consent purpose needs its name in `topic`")
        return self


class SubscriptionPublic(BaseModel):
    profile_id: str
    channel: str
    topic: str | None
    status: str
    updated_at: datetime


class SuppressionCreate(Body):
    channel: str = Field(examples=["email"])
    address: str = Field(min_length=1, max_length=320, examples=["ada@example.com"])
    reason: Literal["hard_bounce", "complaint", "manual"] = "manual"
    note: str | None = Field(None, max_length=1000)

    _channel = field_validator("channel")(known_channel)


class SuppressionPublic(BaseModel):
    channel: str
    address: str
    reason: str
    note: str | None
    created_at: datetime


class FrequencyCapUpdate(Body):
    max_messages: int = Field(ge=0, le=1_000_000, examples=[3])
    window: str = Field(description="ISO 8601 duration", examples=["P7D"])

    @field_validator("window")
    @classmethod
    def _duration(cls, value: str) -> str:
        try:
            period = window_delta(value)
        except Exception:
            raise ValueError(f"not an ISO 8601 duration: {value!r}") from None
        if period <= timedelta(0):
            raise ValueError("the window must be positive")
        return value


def window_delta(value: str) -> timedelta:
    """A fixed-length window: years and months are not allowed."""
    period = parse_duration(value)
    if not isinstance(period, timedelta):
        raise ValueError("use days, hours, minutes or seconds")
    return period


class FrequencyCapPublic(BaseModel):
    channel: str
    max_messages: int
    window: str = Field(description="ISO 8601 duration")
    updated_at: datetime
