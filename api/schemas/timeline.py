"""The profile timeline and erasure answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, get_args

from pydantic import BaseModel, Field

TimelineKind = Literal[
    "event",
    "journey_entered",
    "journey_exited",
    "message",
    "audience_entered",
    "audience_exited",
    "entity",
]
TIMELINE_KINDS: tuple[str, ...] = get_args(TimelineKind)


class TimelineItem(BaseModel):
    at: datetime
    kind: TimelineKind
    data: dict[str, Any] = Field(description="What happened; its fields depend on the kind")


class TimelinePage(BaseModel):
    items: list[TimelineItem]
    count: int
    next_cursor: str | None = Field(
        None, description="Pass as `cursor` for the next page; null on the last page"
    )


class ErasurePublic(BaseModel):
    profile_id: str
    erasure_id: int = Field(description="The erasure record (it holds no personal data)")
    counts: dict[str, int] = Field(description="What was removed, tombstoned or ended, by kind")
