from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from api.schemas.common import Body

InboxStatus = Literal["unread", "read", "archived"]


class InboxItemPublic(BaseModel):
    message_id: str
    profile_id: str
    title: str | None
    body: str
    status: InboxStatus
    created_at: datetime
    read_at: datetime | None


class InboxPage(BaseModel):
    items: list[InboxItemPublic]
    count: int
    unread: int = Field(description="Unread messages of the profile in all")
    next_before: str | None = Field(
        None, description="Pass as `before` for the next (older) page; null on the last page"
    )


class InboxItemUpdate(Body):
    status: InboxStatus


class InboxTokenPublic(BaseModel):
    token: str = Field(description="`Authorization: Bearer <token>` for this profile's inbox")
    expires_at: datetime
