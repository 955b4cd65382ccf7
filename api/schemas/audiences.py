from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel, Field

from api.schemas.common import ID_PATTERN, Body

AudienceIdPath = Annotated[str, Path(pattern=ID_PATTERN, description="Audience id")]

DEFINITION_DOC = (
    'A rule tree: {"and"|"or": [rules]}, {"not": rule}, '
    '{"attribute"|"field": name, "op", "value"}, '
    '{"event", "where", "at_least", "at_most", "within"}, '
    '{"entity", "where", "via", "within", "on", "at_least", "at_most", "aggregate"} (see README)'
)


class AudienceUpdate(Body):
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(None, max_length=2000)
    definition: Any = Field(
        description=DEFINITION_DOC,
        examples=[{"and": [{"attribute": "plan", "op": "eq", "value": "pro"}]}],
    )


class AudienceCreate(AudienceUpdate):
    audience_id: str = Field(pattern=ID_PATTERN, examples=["vip"])


class AudienceEstimate(Body):
    definition: Any = Field(description=DEFINITION_DOC)


class EstimatePublic(BaseModel):
    count: int = Field(description="Profiles matching now")
    time_relative: bool
    evaluated_at: datetime


class EvaluationPublic(BaseModel):
    """What saving changed: profiles that entered and left."""

    entered: int
    exited: int


class AudiencePublic(BaseModel):
    audience_id: str
    name: str
    description: str | None
    definition: Any
    time_relative: bool
    status: str
    size: int
    sample: list[str] = Field(default_factory=list, description="A few member profile ids")
    created_at: datetime
    updated_at: datetime
    evaluated_at: datetime | None
    evaluation: EvaluationPublic | None = Field(None, description="Only in save answers")


class MemberPublic(BaseModel):
    profile_id: str
    entered_at: datetime


class MembersPage(BaseModel):
    items: list[MemberPublic]
    next: str | None = Field(description="Pass as `after` for the next page; null at the end")
