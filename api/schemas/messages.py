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
    locale: str | None = Field(
        None, description="The template's locale variant that went out (`fr`, or `default`)"
    )
    proof: bool = Field(False, description="A proof sent to a test address, never reported")
    send_time: str | None = Field(
        None, description="A send-time optimised node's group: optimised, or holdout"
    )
    entity_type: str | None = Field(
        None, description="A per-entity campaign message: the entity type it was sent for"
    )
    entity_key: str | None = Field(None, description="… and the key of that record")
    created_at: datetime
    sent_at: datetime | None
    deferred_until: datetime | None = Field(
        None,
        description="A send deferred by quiet hours or to its chosen send time goes (or went) "
        "at this time",
    )


class MessagePage(BaseModel):
    items: list[MessagePublic]
    count: int
    next_before: str | None = Field(
        None, description="Pass as `before` for the next (older) page; null on the last page"
    )
