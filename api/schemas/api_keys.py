from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from api.keys import Scope
from api.schemas.common import Body


class ApiKeyCreate(Body):
    name: str = Field(min_length=1, max_length=200)
    scopes: list[Scope] = Field(min_length=1)


class ApiKeyPublic(BaseModel):
    id: uuid.UUID
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    revoked_at: datetime | None = None


class ApiKeyCreated(ApiKeyPublic):
    key: str = Field(description="The key itself; shown only in this answer")
