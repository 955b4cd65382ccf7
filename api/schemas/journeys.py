from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, Field, field_validator

from api.schemas.common import Body
from journeys.durations import parse_duration


class VersionSummary(BaseModel):
    version: int
    published_at: datetime


class JourneySummary(BaseModel):
    journey_id: str
    name: str
    status: str
    live_version: int | None
    draft_updated_at: datetime | None
    updated_at: datetime


class KeyRef(BaseModel):
    """An API key named in an approval; `name` is None once the key is deleted."""

    key_id: uuid.UUID
    name: str | None


class ApprovalPublic(BaseModel):
    """Where the current draft stands: asked about (`requested`), `approved`, or neither."""

    state: Literal["none", "requested", "approved"]
    draft_updated_at: datetime | None = Field(description="the draft this state is about")
    draft_updated_by: KeyRef | None = Field(description="the key that last changed the draft")
    requested_by: KeyRef | None
    requested_at: datetime | None
    approved_by: KeyRef | None
    approved_at: datetime | None


class InFlight(BaseModel):
    """Runs at rest in one version now (their open visits in the step ledger)."""

    version: int
    profiles: int


class JourneyPublic(JourneySummary):
    draft: dict[str, Any] | None
    created_at: datetime
    versions: list[VersionSummary]
    requires_approval: bool = Field(description="publish waits for another key's approval")
    approval: ApprovalPublic
    in_flight: list[InFlight] = Field(
        description="profiles inside now by the version they entered, oldest first"
    )


class ApprovalPolicy(Body):
    requires_approval: bool = Field(
        description="publish waits until another key with `journeys:approve` approves the "
        "draft; any change to the draft withdraws the approval"
    )


class ApprovalCreate(Body):
    draft_updated_at: AwareDatetime | None = Field(
        None,
        description="the draft's `draft_updated_at` as the approver read it: refused with 409 "
        "when the draft changed since",
    )


class JourneyVersionPublic(BaseModel):
    journey_id: str
    version: int
    published_at: datetime
    definition: dict[str, Any]


class ProblemPublic(BaseModel):
    path: str
    message: str


class ValidationPublic(BaseModel):
    valid: bool
    problems: list[ProblemPublic]
    definition: dict[str, Any] | None = Field(
        None,
        description="when valid: the definition as publish stores it (defaults filled in), "
        "to compare with a published version",
    )


class Published(BaseModel):
    journey_id: str
    version: int


class Stopped(BaseModel):
    journey_id: str
    status: str
    terminated: int = 0


class TestEventIn(Body):
    """An event the test profile sends, `after` the entry on the virtual clock."""

    name: str = Field(min_length=1, max_length=200)
    properties: dict[str, Any] = Field(default_factory=dict)
    after: str = Field("PT0S", description="ISO 8601 duration after the entry, e.g. PT2H")

    @field_validator("after")
    @classmethod
    def _duration(cls, value: str) -> str:
        parse_duration(value)  # a ValueError names the problem
        return value


class TestProfileIn(Body):
    profile_id: str = Field("test-profile", min_length=1, max_length=200)
    email: str | None = None
    phone: str | None = None
    timezone: str | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)


class TestRunCreate(Body):
    """A dry run of the draft for one test profile, with waits compressed to nothing."""

    profile: TestProfileIn = Field(default_factory=TestProfileIn)
    entry_properties: dict[str, Any] = Field(default_factory=dict)
    events: list[TestEventIn] = Field(default_factory=list, max_length=1000)
    action_responses: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Canned responses by action or data-source name"
    )
    failing_actions: list[str] = Field(
        default_factory=list, description="Actions or sources that answer an error"
    )
    start: AwareDatetime | None = Field(None, description="Virtual time of the entry (now)")
    use: Literal["draft", "live"] = "draft"
    definition: dict[str, Any] | None = Field(
        None,
        description="A definition to test instead of the stored one (e.g. the designer's "
        "unsaved working copy), checked like a draft; `use` is then ignored",
    )


class TestRunPublic(BaseModel):
    entered: bool
    status: str
    reason: str | None
    started_at: datetime
    ended_at: datetime
    path: list[dict[str, Any]]
    steps: list[dict[str, Any]]
    visits: list[dict[str, Any]] = Field(
        description="Each node visit: entered and left, its outcome and detail, and the "
        "expressions it evaluated with their values (`checks`)"
    )
    vars: dict[str, Any]
    profile: dict[str, Any]
