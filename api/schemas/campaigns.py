"""Campaign definitions and runs as the API reads and writes them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, BaseModel, Field, field_validator, model_validator

from api.schemas.audiences import AudienceCreate
from api.schemas.common import ID_PATTERN, Body
from api.schemas.reports import SendTimeCounts
from campaigns.plan import parse_local_time
from core.names import KNOWN_CHANNELS
from journeys.durations import parse_duration
from journeys.nodes.message import SendTime


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown timezone {value!r}") from None
    return value


class ScheduleSpec(Body):
    """A recurring campaign: a Temporal Schedule starts one run at each cron time."""

    cron: str = Field(examples=["0 9 * * MON"], description="5-field cron, in `timezone`")
    timezone: str = Field("UTC", examples=["Europe/Paris"])
    end_at: AwareDatetime | None = Field(None, description="no run after this moment")

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        if len(value.split()) != 5:
            raise ValueError("a cron expression has 5 fields: minute hour day month weekday")
        return value

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        return _zone(value)


class DeliverySpec(Body):
    """How fast and when a run sends."""

    max_per_second: float | None = Field(None, gt=0, le=100_000, description="throttle")
    ramp_up: list[int] = Field(
        default_factory=list,
        max_length=90,
        description="messages allowed on day 1, day 2, …; unlimited after the last day",
    )
    local_time: str | None = Field(
        None, examples=["10:00"], description="send at this time in each profile's timezone"
    )
    default_timezone: str = Field("UTC", description="for profiles without a timezone")
    send_time: SendTime | None = Field(
        None,
        description="send each member at its likeliest hour to open or click within `within` "
        "(hourly waves); `holdout` sends that share at once; not with local_time",
    )
    decisions: list[str] = Field(
        default_factory=list,
        max_length=5,
        description="decision policies asked for each member before its message renders, "
        "so the template's `decide('placement')` shows the member's offer",
    )

    @model_validator(mode="after")
    def _one_timing(self) -> DeliverySpec:
        if self.send_time is not None and self.local_time is not None:
            raise ValueError("send_time and local_time cannot both be set")
        return self

    @field_validator("decisions")
    @classmethod
    def _decisions(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("each decision policy once")
        return value

    @field_validator("ramp_up")
    @classmethod
    def _ramp(cls, value: list[int]) -> list[int]:
        if any(n < 1 for n in value):
            raise ValueError("every day of a ramp-up allows at least 1 message")
        return value

    @field_validator("local_time")
    @classmethod
    def _local(cls, value: str | None) -> str | None:
        if value is not None:
            parse_local_time(value)
        return value

    @field_validator("default_timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        return _zone(value)


class BranchSpec(Body):
    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")
    weight: int | None = Field(None, ge=0, le=100, description="percent (percentage splits)")
    when: str | None = Field(None, description="expression over `profile` (rule splits)")
    channel: str
    template: str


class FollowUpSpec(Body):
    unless: Literal["opened", "clicked"] = Field(description="skip those who did this")
    wait: str = Field(examples=["P2D"], description="ISO 8601 duration after the first pass")
    channel: str
    template: str

    @field_validator("wait")
    @classmethod
    def _wait(cls, value: str) -> str:
        parse_duration(value)
        return value


class OrchestrationSpec(Body):
    """Split the audience into branches, each with its message; then maybe a follow-up."""

    branches: list[BranchSpec] = Field(min_length=1, max_length=10)
    follow_up: FollowUpSpec | None = None

    @model_validator(mode="after")
    def _split(self) -> OrchestrationSpec:
        names = [b.name for b in self.branches]
        if len(set(names)) != len(names):
            raise ValueError("branch names must be unique")
        if any(b.when for b in self.branches):
            if any(b.weight is not None for b in self.branches):
                raise ValueError("split by rules (`when`) or by percentage (`weight`), not both")
            if any(b.when is None for b in self.branches[:-1]):
                raise ValueError("only the last branch may have no `when` (otherwise)")
        elif sum(b.weight or 0 for b in self.branches) != 100:
            raise ValueError("branch weights must add up to 100")
        return self


class CampaignUpdate(Body):
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["action", "triggered", "orchestrated"] = Field(
        "action",
        description="action: to an audience; triggered: to profiles named by the API; "
        "orchestrated: branches and a follow-up over an audience",
    )
    audience_id: str | None = Field(None, description="required for action campaigns")
    channel: str = Field(examples=["email"])
    template: str = Field(description="a template of the same channel")
    topic: str | None = Field(None, max_length=200, description="default: the template's")
    transactional: bool = Field(
        False,
        description="bypasses marketing caps and topics (the template must be transactional); "
        "triggered ones run on the high-priority queue",
    )
    schedule: ScheduleSpec | None = None
    delivery: DeliverySpec = Field(default_factory=DeliverySpec)
    orchestration: OrchestrationSpec | None = Field(None, description="orchestrated only")
    requires_approval: bool = Field(
        False,
        description="runs and schedules wait until another key with `campaigns:approve` "
        "approves; any change withdraws the approval",
    )

    @field_validator("channel")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in KNOWN_CHANNELS:
            raise ValueError(
                f"unknown channel {value!r}; known: {', '.join(sorted(KNOWN_CHANNELS))}"
            )
        return value


class CampaignCreate(CampaignUpdate):
    id: str = Field(pattern=ID_PATTERN, examples=["spring-sale"])
    audience: AudienceCreate | None = Field(
        None,
        description="an audience made with the campaign (on demand), saved for reuse; "
        "instead of audience_id",
    )

    @model_validator(mode="after")
    def _one_audience(self) -> CampaignCreate:
        if self.audience is not None and self.audience_id is not None:
            raise ValueError("give audience_id or audience, not both")
        return self


class CampaignPublic(BaseModel):
    id: str
    name: str
    kind: str
    audience_id: str | None
    channel: str
    template: str
    topic: str | None
    transactional: bool
    schedule: dict[str, Any] | None
    delivery: dict[str, Any]
    orchestration: dict[str, Any] | None
    status: str
    requires_approval: bool
    approved: bool = Field(description="may run: approved, or no approval required")
    approved_at: datetime | None
    created_at: datetime
    updated_at: datetime


class RunCreate(Body):
    """Tuning of one run; the defaults suit most audiences."""

    batch_size: int = Field(500, ge=1, le=5000, description="profiles per batch activity")
    parallel: int = Field(4, ge=1, le=32, description="batch activities in flight")


class TriggerCreate(Body):
    profile_ids: list[str] = Field(min_length=1, max_length=1000)
    vars: dict[str, Any] = Field(default_factory=dict, description="templates read `vars`")


class RunPublic(BaseModel):
    campaign_id: str
    run_id: str
    workflow_id: str
    status: str
    total: int | None
    sent: int
    failed: int
    skipped: dict[str, int] = Field(description="reason → count")
    remaining: int | None
    started_at: datetime
    finished_at: datetime | None
    send_time: list[SendTimeCounts] | None = Field(
        None,
        description="With delivery.send_time: opens and clicks of the members sent at their "
        "chosen hour against the holdout sent at once",
    )


class SchedulePublic(BaseModel):
    campaign_id: str
    cron: str
    timezone: str
    scheduled: bool = Field(
        description="A Temporal Schedule exists: false while archived or awaiting approval"
    )
    paused: bool
    next_runs: list[datetime] = Field(description="The schedule's next start times, soonest first")
