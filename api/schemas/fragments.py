from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, field_validator

from api.schemas.common import Body
from api.schemas.templates import LOCALES_DESCRIPTION, check_tags

FRAGMENT_SOURCE = 1_000_000


class FragmentUpdate(Body):
    body: str = Field(
        max_length=FRAGMENT_SOURCE,
        description='Jinja2 text; a template includes it with `{% include "name" %}`',
    )
    description: str | None = Field(None, max_length=1_000)
    locales: dict[str, str] = Field(
        default_factory=dict, max_length=200, description=LOCALES_DESCRIPTION
    )

    _tags = field_validator("locales")(check_tags)


class FragmentPublic(BaseModel):
    name: str
    description: str | None
    body: str
    locales: dict[str, str]
    version: int = Field(description="1 when created, one more at every save")
    created_at: datetime
    updated_at: datetime


class FragmentVersionPublic(BaseModel):
    name: str
    version: int
    description: str | None
    body: str
    locales: dict[str, str]
    saved_at: datetime


class FragmentUsage(BaseModel):
    """Who includes a fragment directly: changing it changes their next render."""

    templates: list[str]
    fragments: list[str]
