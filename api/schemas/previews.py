from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, model_validator

from api.schemas.common import Body
from api.schemas.profiles import _ProfileFields


class InlineProfile(_ProfileFields):
    """A profile that need not exist: rendered as if it were stored so."""

    profile_id: str = Field("preview", min_length=1, max_length=200)
    attributes: dict[str, Any] = Field(default_factory=dict)


class SampleEvent(Body):
    name: str = Field("preview", min_length=1, max_length=200)
    properties: dict[str, Any] = Field(default_factory=dict)


class PreviewCreate(Body):
    """Whom to render for (a stored profile by id, or one given inline) and the sample
    event, `vars` and `campaign` the template reads."""

    profile_id: str | None = Field(None, min_length=1, max_length=200)
    profile: InlineProfile | None = None
    event: SampleEvent = Field(default_factory=SampleEvent)
    vars: dict[str, Any] = Field(default_factory=dict)
    campaign: dict[str, Any] | None = Field(
        None, description="`campaign.*` for a campaign's template (`id`, `name`, `run`)"
    )

    @model_validator(mode="after")
    def _one_profile(self) -> PreviewCreate:
        if (self.profile_id is None) == (self.profile is None):
            raise ValueError("give either profile_id or profile")
        return self


class ProofCreate(PreviewCreate):
    to: list[str] = Field(
        min_length=1,
        max_length=20,
        description="Test addresses on the template's channel: emails, E.164 numbers or "
        "device tokens",
    )


class ProofMessage(BaseModel):
    message_id: str
    to: str


class ProofsPublic(BaseModel):
    proof_id: str = Field(description="The workflow sending them")
    messages: list[ProofMessage]
