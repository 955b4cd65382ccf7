from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class MessagePublic(BaseModel):
    message_id: str
    profile_id: str
    journey_id: str | None
    version: int | None
    node_id: str | None
    campaign_id: str | None = None
    channel: str
    template: str
    status: str
    recipient: str | None
    subject: str | None
    body: str | None
    error: str | None
    reason: str | None = Field(None, description="Why a skipped send was skipped")
    transactional: bool = False
    created_at: datetime
    sent_at: datetime | None
    deferred_until: datetime | None = Field(
        None, description="A send deferred by quiet hours goes (or went) at this time"
    )


class MessagePage(BaseModel):
    items: list[MessagePublic]
    count: int
    next_before: str | None = Field(
        None, description="Pass as `before` for the next (older) page; null on the last page"
    )
