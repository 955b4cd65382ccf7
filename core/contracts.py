"""Serialisable, versioned inputs and results of the workflows, signals and activities.

Every model carries `v` so a later shape can be told apart in old histories.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from core.retries import SendRetry
from journeys.interpreter import Command, JourneyState, StepTrace
from journeys.migration import MigrationPlan
from journeys.model import Event, Profile
from journeys.per_entity import PerEntity
from journeys.runtime import EntityRecord


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class ActionRoute(_Model):
    """How the workflow schedules calls of one action: its queue, timeout and retries."""

    task_queue: str | None = None
    timeout_seconds: float = 10.0
    max_attempts: int = 3
    initial_interval_seconds: float = 1.0
    backoff: float = 2.0
    max_interval_seconds: float = 60.0


class JourneyCarry(_Model):
    """What a journey run hands to its next run at continue-as-new."""

    definition: dict[str, Any]
    state: JourneyState
    inbox: list[Event] = Field(default_factory=list)
    entry_run_id: str
    current_node_attr: str | None = None
    command: Command
    routes: dict[str, ActionRoute] = Field(default_factory=dict)
    steps: list[StepTrace] = Field(
        default_factory=list, description="Step ledger records not yet written"
    )
    deferred_message_id: str | None = Field(
        default=None, description="A send deferred by quiet hours, not yet sent"
    )
    migrations: list[MigrateSignal] = Field(
        default_factory=list, description="Migrations signalled, not yet applied"
    )


class JourneyInput(_Model):
    """Start input of JourneyWorkflow; the entry event also arrives as the start signal."""

    v: Literal[1] = 1
    journey_id: str
    version: int
    profile_id: str
    entry_event: Event
    carry: JourneyCarry | None = None
    key: str | None = Field(
        default=None, description="a keyed journey's instance key (decision 13); None: unkeyed"
    )
    history_limit: int | None = Field(
        default=None, description="continue-as-new past this many events (tests set it low)"
    )
    send_retry: SendRetry | None = Field(
        default=None, description="the send retry policy; None: core.retries (tests set it low)"
    )


class EventSignal(_Model):
    v: Literal[1] = 1
    event: Event


class MigrateSignal(_Model):
    """Move to another version of the journey at the next rest point (journeys.migration)."""

    v: Literal[1] = 1
    migration_id: str
    plan: MigrationPlan
    definition: dict[str, Any] = Field(description="Version `plan.to_version`, as published")


class MigrationApplied(_Model):
    """A run moved to another version: its step records, and what the ledger must now say."""

    v: Literal[1] = 1
    migration_id: str
    entry_run_id: str
    version: int
    definition: dict[str, Any]
    steps: StepBatch | None = None


class MigrationRecorded(_Model):
    v: Literal[1] = 1
    routes: dict[str, ActionRoute] = Field(default_factory=dict)


class EnterInput(_Model):
    v: Literal[1] = 1
    journey_id: str
    version: int
    profile_id: str
    workflow_id: str
    entry_run_id: str
    entered_at: datetime
    entry_event_id: str | None = Field(
        default=None, description="the entry event: it enters the journey at most once"
    )
    key: str | None = Field(
        default=None, description="the instance key: re-entry rules apply per key"
    )


class EnterResult(_Model):
    """The entry checks in one call (architecture decision 9): re-entrance, profile, definition."""

    v: Literal[1] = 1
    allowed: bool
    reason: str | None = None
    definition: dict[str, Any] | None = None
    profile: Profile | None = None
    routes: dict[str, ActionRoute] = Field(
        default_factory=dict, description='"action:<name>" / "fetch:<name>" → scheduling'
    )


class LoadProfileInput(_Model):
    v: Literal[1] = 1
    profile_id: str


class SendInput(_Model):
    v: Literal[1] = 1
    message_id: str
    channel: str
    template: str
    profile_id: str
    journey: dict[str, Any]
    node_id: str
    workflow_id: str
    entry_event: Event
    events: dict[str, Event] = Field(default_factory=dict)
    vars: dict[str, Any] = Field(default_factory=dict)
    now: datetime
    dry_run: bool = False
    steps: StepBatch | None = Field(
        default=None, description="Step ledger records written with the send (no extra call)"
    )
    send_time: Literal["optimised", "holdout"] | None = Field(
        default=None, description="Send-time optimisation: the group the ledger row is in"
    )
    entity: EntityRecord | None = Field(
        default=None, description="A per-entity message: its record, `entity` in the template"
    )


class SendResult(_Model):
    v: Literal[1] = 1
    message_id: str
    status: Literal["sent", "failed", "skipped"]
    error: str | None = None
    reason: str | None = Field(default=None, description="why a skipped send was skipped")


class FinishInput(_Model):
    v: Literal[1] = 1
    entry_run_id: str
    status: str
    reason: str | None = None
    ended_at: datetime
    steps: StepBatch | None = Field(
        default=None, description="The last step ledger records, written with the finish"
    )


class ActionCallInput(_Model):
    v: Literal[1] = 1
    call_id: str
    kind: Literal["action", "fetch"]
    name: str
    params: dict[str, Any] = Field(default_factory=dict)
    profile_id: str
    journey: dict[str, Any] = Field(default_factory=dict)
    node_id: str
    dry_run: bool = False
    max_attempts: int | None = Field(
        default=None,
        description="The workflow's retry limit: the last attempt records a retryable failure "
        "as final instead of raising, so the ledger row does not stay pending",
    )


class ActionCallResult(_Model):
    v: Literal[1] = 1
    call_id: str
    ok: bool
    response: dict[str, Any] | None = None
    error: str | None = None


class UpdateProfileInput(_Model):
    v: Literal[1] = 1
    update_id: str
    profile_id: str
    set: dict[str, Any] = Field(default_factory=dict)
    increment: dict[str, float] = Field(default_factory=dict)


class AssignmentInput(_Model):
    v: Literal[1] = 1
    entry_run_id: str
    node_id: str
    journey_id: str
    version: int
    profile_id: str
    variant: str


class JumpInput(_Model):
    v: Literal[1] = 1
    jump_id: str
    target: str
    profile_id: str
    entry_event: Event
    from_journey: str


class JumpResult(_Model):
    v: Literal[1] = 1
    ok: bool
    error: str | None = None


class DecideInput(_Model):
    """A journey's `decide` node: `request_id` is its step id, so a retry meets its answer."""

    v: Literal[1] = 1
    request_id: str
    decision: str
    profile_id: str
    event: dict[str, Any] = Field(default_factory=dict)
    context: dict[str, Any] = Field(default_factory=dict)


class DecideResult(_Model):
    v: Literal[1] = 1
    ok: bool
    response: dict[str, Any] | None = None
    error: str | None = None


class RefreshAudienceInput(_Model):
    """The scheduled full re-evaluation of one time-relative audience."""

    v: Literal[1] = 1
    audience_id: str


class RefreshAudienceResult(_Model):
    v: Literal[1] = 1
    audience_id: str
    evaluated: bool
    entered: int = 0
    exited: int = 0


class FanoutCarry(_Model):
    """Where a read-audience run stands, handed over at continue-as-new."""

    run_key: str
    audience_id: str
    started_at: datetime
    members: int
    cursor: str | None = None
    signalled: int = 0
    filtered: int = 0
    batches: int = 0


class AudienceFanoutInput(_Model):
    """Input of AudienceFanoutWorkflow: one run of a read-audience journey.

    Schedules pass only the journey id; the run key defaults to the workflow id (unique per
    scheduled time), which makes each member's entry event id deterministic per run.
    """

    v: Literal[1] = 1
    journey_id: str
    run_key: str | None = None
    page_size: int = Field(default=500, ge=1, le=10_000)
    heartbeat_seconds: float = Field(default=30.0, gt=0)
    history_limit: int | None = Field(
        default=None, description="continue-as-new past this many events (tests set it low)"
    )
    carry: FanoutCarry | None = None


class FanoutPrepareInput(_Model):
    v: Literal[1] = 1
    journey_id: str
    run_key: str


class FanoutPrepareResult(_Model):
    """The run's snapshot: taken once, so a retried prepare returns the same figures."""

    v: Literal[1] = 1
    live: bool
    reason: str | None = None
    audience_id: str = ""
    started_at: datetime | None = None
    members: int = 0


class FanoutBatchInput(_Model):
    v: Literal[1] = 1
    journey_id: str
    run_key: str
    audience_id: str
    started_at: datetime
    after: str | None = Field(default=None, description="the last profile id already done")
    limit: int


class FanoutBatchResult(_Model):
    v: Literal[1] = 1
    stopped: bool = False
    reason: str | None = None
    cursor: str | None = None
    signalled: int = 0
    filtered: int = 0
    done: bool = False


class FanoutProgress(_Model):
    """The heartbeat of a page: a retried attempt resumes after `cursor`."""

    cursor: str | None = None
    signalled: int = 0
    filtered: int = 0


class FanoutFinishInput(_Model):
    v: Literal[1] = 1
    run_key: str
    status: Literal["completed", "stopped"]
    signalled: int
    filtered: int


class AudienceFanoutResult(_Model):
    v: Literal[1] = 1
    run_key: str
    status: Literal["completed", "stopped", "not run"]
    reason: str | None = None
    members: int = 0
    signalled: int = 0
    filtered: int = 0


class DeferredSend(_Model):
    """A send waiting for the end of its quiet hours, or for the time the engagement model
    chose: a 'deferred' row in the message ledger, with that reason."""

    message_id: str
    node_id: str
    channel: str
    template: str
    until: datetime
    reason: Literal["quiet_hours", "send_time"] = "quiet_hours"


class SendTimeInput(_Model):
    """When should this profile's message go out: the engagement model's choice."""

    v: Literal[1] = 1
    profile_id: str
    goal: Literal["opened", "clicked"]
    within_seconds: float
    now: datetime


class SelectRecordsInput(_Model):
    """Which of the profile's related records a per-entity message node sends to."""

    v: Literal[1] = 1
    profile_id: str
    per: PerEntity
    now: datetime


class SelectRecordsResult(_Model):
    """The matching records in key order, or why they could not be read."""

    v: Literal[1] = 1
    records: list[EntityRecord] = Field(default_factory=list)
    error: str | None = None


class SendTimeAnswer(_Model):
    v: Literal[1] = 1
    send_at: datetime


class StepBatch(_Model):
    """Step ledger records of one run (journeys.trace.merge: one per node visit), written by
    `record_steps` when the journey comes to rest, or along with a send or the finish."""

    v: Literal[1] = 1
    entry_run_id: str
    workflow_id: str
    journey_id: str
    version: int
    profile_id: str
    steps: list[StepTrace] = Field(default_factory=list)
    deferred: DeferredSend | None = None
    cancel_deferred: str | None = Field(
        default=None, description="A deferred send's message id that will never go (finish)"
    )
