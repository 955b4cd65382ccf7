from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class VersionSummary(BaseModel):
    version: int
    published_at: datetime


class JourneySummary(BaseModel):
    journey_id: str
    name: str
    status: str
    live_version: int | None
    draft_updated_at: datetime | None
    updated_at: datetime


class JourneyPublic(JourneySummary):
    draft: dict[str, Any] | None
    created_at: datetime
    versions: list[VersionSummary]


class JourneyVersionPublic(BaseModel):
    journey_id: str
    version: int
    published_at: datetime
    definition: dict[str, Any]


class ProblemPublic(BaseModel):
    path: str
    message: str


class ValidationPublic(BaseModel):
    valid: bool
    problems: list[ProblemPublic]


class Published(BaseModel):
    journey_id: str
    version: int


class Stopped(BaseModel):
    journey_id: str
    status: str
    terminated: int = 0
