"""What the send-time model knows of a profile (GET /v1/profiles/{id}/send-time)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

Goal = Literal["opened", "clicked"]
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class HourPublic(BaseModel):
    hour_of_week: int = Field(ge=0, le=167, description="0 = Monday 00:00, profile's local time")
    day: str
    hour: int = Field(ge=0, le=23)
    probability: float


class SendTimePublic(BaseModel):
    """The profile's reading habit for a goal and the send time it gives now."""

    profile_id: str
    goal: Goal
    timezone: str = Field(description="The zone the hours are in (UTC when the profile has none)")
    observations: int = Field(description="The profile's own opens or clicks counted")
    population_observations: int = Field(description="Everyone's, which the estimate leans on")
    best_hours: list[HourPublic] = Field(description="The three likeliest hours, best first")
    next_send_at: datetime = Field(description="A send decided now, within `within`, goes then")
    probabilities: list[float] = Field(description="168 values, one per hour of the week")
