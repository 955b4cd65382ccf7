"""The Segment HTTP Tracking API shapes (identify, track, page, screen, alias, batch).

Segment payloads carry many fields Wayline has no use for (`integrations`, `sentAt`,
`writeKey`, `context.library`, ...), so unknown fields are ignored here, unlike the rest of
the API. Ids may be numbers in Segment's spec; they are read as strings.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

SegmentType = Literal["identify", "track", "page", "screen", "alias"]
TYPES: tuple[SegmentType, ...] = ("identify", "track", "page", "screen", "alias")


SegmentId = Annotated[str, Field(min_length=1, max_length=200)]


class SegmentCall(BaseModel):
    """One call of any type; which fields are required depends on the type."""

    # Numbers become strings in string fields (Segment allows numeric ids); bools do not.
    model_config = ConfigDict(extra="ignore", populate_by_name=True, coerce_numbers_to_str=True)

    type: SegmentType | None = None
    message_id: str | None = Field(None, alias="messageId", min_length=1, max_length=200)
    user_id: SegmentId | None = Field(None, alias="userId")
    anonymous_id: SegmentId | None = Field(None, alias="anonymousId")
    previous_id: SegmentId | None = Field(None, alias="previousId")
    event: str | None = Field(None, max_length=200)
    name: str | None = Field(None, max_length=200)
    category: str | None = Field(None, max_length=200)
    timestamp: datetime | None = None
    # None is accepted (some libraries send null) and read as empty by `SegmentCall.*_of`.
    traits: dict[str, Any] | None = None
    properties: dict[str, Any] | None = None
    context: dict[str, Any] | None = None

    @field_validator("timestamp")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class SegmentBatch(BaseModel):
    """`batch` items are checked one by one, so a bad item does not sink the others."""

    model_config = ConfigDict(extra="ignore")

    batch: list[Any] = Field(max_length=10_000)
    context: dict[str, Any] = Field(default_factory=dict)


class SegmentItemError(BaseModel):
    field: str
    message: str


class SegmentAccepted(BaseModel):
    """Segment clients look only at the status (200); the body says what happened."""

    success: bool
    accepted: int = Field(description="Calls applied (events stored, profiles written)")
    duplicates: int = Field(0, description="Events whose messageId was seen before")
    rejected: int = Field(0, description="Batch items refused; see errors")
    event_ids: list[str] = Field(default_factory=list)
    errors: list[SegmentItemError] = Field(default_factory=list)
