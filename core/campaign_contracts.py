"""Versioned inputs and results of CampaignWorkflow, its signals and activities.

Every model carries `v` so a later shape can be told apart in old histories
(core/contracts.py holds the journey ones).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from temporalio.common import SearchAttributeKey

from core.retries import SendRetry

CAMPAIGN_ID = SearchAttributeKey.for_keyword("CampaignId")
CAMPAIGN_SENT = SearchAttributeKey.for_int("CampaignSent")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Branch(_Model):
    """One path of an orchestrated campaign: who (a rule or a share) gets which message."""

    name: str
    weight: int | None = Field(None, ge=0, le=100, description="percent of the audience")
    when: str | None = Field(None, description="expression over `profile`; first match wins")
    channel: str
    template: str


class FollowUp(_Model):
    """A second message, `wait` after the first pass, only to those who did not react."""

    unless: Literal["opened", "clicked"]
    wait: str = Field(description="ISO 8601 duration, e.g. P2D")
    channel: str
    template: str


class CampaignSendTime(_Model):
    """Send each member at its likeliest hour to read within a window (engagement/)."""

    optimize: Literal["opened", "clicked"]
    within_seconds: float
    holdout: float = 0.0


class CampaignSpec(_Model):
    """The campaign definition as it was when the run started (later edits do not apply)."""

    v: Literal[1] = 1
    campaign_id: str
    name: str
    channel: str
    template: str
    audience_id: str | None = None
    topic: str | None = None
    transactional: bool = False
    max_per_second: float | None = None
    ramp_up: list[int] = Field(default_factory=list)
    local_time: str | None = Field(None, description="HH:MM in each profile's timezone")
    default_timezone: str = "UTC"
    send_time: CampaignSendTime | None = Field(
        None, description="Per-member send times from the engagement model, in hourly waves"
    )
    branches: list[Branch] = Field(default_factory=list, description="orchestrated only")
    follow_up: FollowUp | None = None
    decisions: list[str] = Field(
        default_factory=list, description="Policies decided for each member before rendering"
    )


class Wave(_Model):
    """Members [first_seq, end_seq) of the snapshot, due at `due_at` (None: at once)."""

    due_at: datetime | None = None
    first_seq: int
    end_seq: int


class CampaignProgress(_Model):
    v: Literal[1] = 1
    status: Literal["starting", "running", "paused", "completed", "cancelled", "failed"]
    total: int = 0
    sent: int = 0
    failed: int = 0
    skipped: dict[str, int] = Field(default_factory=dict, description="reason → count")
    remaining: int = 0
    branches: dict[str, int] = Field(default_factory=dict, description="sent per branch")


class CampaignCarry(_Model):
    """What a run hands to its next run at continue-as-new."""

    run_id: str
    started_at: datetime
    waves: list[Wave]
    wave: int = 0
    next_seq: int = 0
    processed: int = 0
    progress: CampaignProgress
    paused: bool = False
    phase: Literal["main", "follow_up"] = "main"
    follow_up_at: datetime | None = None


class CampaignRunInput(_Model):
    """Start input of CampaignWorkflow. Without `run_id` (a Schedule's start) the run id is
    the workflow id after `campaign:<id>:`."""

    v: Literal[1] = 1
    spec: CampaignSpec
    run_id: str | None = None
    profile_ids: list[str] | None = Field(
        None, description="API-triggered runs: these profiles instead of the audience"
    )
    vars: dict[str, Any] = Field(default_factory=dict, description="template `vars`")
    batch_size: int = Field(500, ge=1, le=5000)
    parallel: int = Field(4, ge=1, le=32, description="batch activities in flight")
    history_limit: int = Field(2_000, description="continue-as-new past this many events")
    batch_queue: str | None = Field(None, description="task queue of the batch activities")
    send_retry: SendRetry | None = Field(
        None, description="the batches' send retry policy; None: core.retries (tests set it low)"
    )
    carry: CampaignCarry | None = None


class StartRunInput(_Model):
    v: Literal[1] = 1
    spec: CampaignSpec
    run_id: str
    workflow_id: str
    profile_ids: list[str] | None = None
    now: datetime


class StartRunResult(_Model):
    v: Literal[1] = 1
    total: int
    waves: list[Wave]


class BatchInput(_Model):
    v: Literal[1] = 1
    spec: CampaignSpec
    run_id: str
    workflow_id: str
    first_seq: int
    end_seq: int
    vars: dict[str, Any] = Field(default_factory=dict)
    now: datetime
    phase: Literal["main", "follow_up"] = "main"


class BatchResult(_Model):
    v: Literal[1] = 1
    processed: int
    sent: int = 0
    failed: int = 0
    skipped: dict[str, int] = Field(default_factory=dict)
    branches: dict[str, int] = Field(default_factory=dict, description="sent per branch")


class FinishRunInput(_Model):
    v: Literal[1] = 1
    campaign_id: str
    run_id: str
    status: str
    total: int
    finished_at: datetime


class RunControl(_Model):
    """Input of the pause, resume and cancel signals."""

    v: Literal[1] = 1
    reason: str | None = None


class TriggerRequest(_Model):
    """One `POST /v1/campaigns/{id}/trigger`: its own run of the campaign for these profiles."""

    v: Literal[1] = 1
    spec: CampaignSpec
    run_id: str
    profile_ids: list[str]
    vars: dict[str, Any] = Field(default_factory=dict)


class TriggerBatch(_Model):
    """Requests the API received together for one inbox, sent as one signal: one history
    event and a share of one workflow task instead of one each (group commit)."""

    v: Literal[1] = 1
    requests: list[TriggerRequest] = Field(min_length=1)


class TriggerInboxInput(_Model):
    """Start input of CampaignTriggerWorkflow, one long-lived inbox per triggered campaign."""

    v: Literal[1] = 1
    campaign_id: str
    pending: list[TriggerRequest] = Field(default_factory=list, description="carried over")
    history_limit: int = Field(2_000, description="continue-as-new past this many events")
    max_batch: int = Field(200, ge=1, description="requests sent by one local activity")
    lifetime_seconds: float | None = Field(
        None, gt=0, description="end once idle after this long (an inbox of one time window)"
    )


class SendTriggeredInput(_Model):
    v: Literal[1] = 1
    workflow_id: str
    requests: list[TriggerRequest]
    now: datetime


class SendTriggeredResult(_Model):
    v: Literal[1] = 1
    runs: dict[str, BatchResult] = Field(description="run id → its outcome")
