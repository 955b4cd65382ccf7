"""Who the calling key is, for clients that hide what it may not do."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field


class MePublic(BaseModel):
    key_id: uuid.UUID
    name: str
    scopes: list[str] = Field(description="The scopes the key was created with")
    grants: list[str] = Field(
        description="Every scope the key is allowed (`admin` grants them all)",
        examples=[["read"]],
    )
