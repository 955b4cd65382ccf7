"""Journey reports and a profile's path through a journey."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class MessageCounts(BaseModel):
    """The message ledger of one message node."""

    sent: int = 0
    failed: int = 0
    skipped: int = 0
    skipped_by_reason: dict[str, int] = Field(default_factory=dict)
    deferred: int = Field(0, description="Waiting for the end of their quiet hours now")
    sending: int = 0
    dry_run: int = 0


class SendTimeCounts(BaseModel):
    """One group of a send-time optimised node: sent at the chosen time, or held out."""

    group: str = Field(description="optimised, or holdout (sent at once)")
    sent: int
    opened: int
    clicked: int
    open_rate: float | None = None
    click_rate: float | None = None


def send_time_groups(rows: Sequence[Mapping[str, Any]]) -> list[SendTimeCounts]:
    """Both groups from rows of (grp, sent, opened, clicked), in that order, each with its
    rates (None before anything was sent); a journey node's and a campaign run's alike."""
    by_group = {r["grp"]: r for r in rows}
    out = []
    for group in ("optimised", "holdout"):
        row = by_group.get(group)
        sent, opened, clicked = (row["sent"], row["opened"], row["clicked"]) if row else (0, 0, 0)
        out.append(
            SendTimeCounts(
                group=group,
                sent=sent,
                opened=opened,
                clicked=clicked,
                open_rate=opened / sent if sent else None,
                click_rate=clicked / sent if sent else None,
            )
        )
    return out


class PathCounts(BaseModel):
    """Profiles who took one path of a split or one variant of an experiment."""

    path: str
    profiles: int
    converted: int | None = Field(None, description="Of them, how many had the goal event after")
    goal_rate: float | None = None


class NodeReport(BaseModel):
    node: str
    type: str
    entered: int = Field(0, description="Visits of the node (a profile may visit it again)")
    profiles: int = Field(
        0, description="Profiles that entered it (once per run: a re-entered profile counts again)"
    )
    waiting: int = Field(
        0, description="Runs resting at this node now (their open visit in the step ledger)"
    )
    exited: int = Field(0, description="Left to the next node, or the journey completed here")
    exit_criteria: int = Field(0, description="Ended here by an exit_on event")
    errored: int = 0
    timed_out: int = Field(0, description="Ended here by the journey timeout")
    messages: MessageCounts | None = None
    send_time: list[SendTimeCounts] | None = Field(
        None, description="A node with send_time: opens and clicks, optimised against holdout"
    )
    paths: list[PathCounts] | None = None


class JourneyReport(BaseModel):
    journey_id: str
    version: int
    goal: str | None = Field(None, description="The goal event the path goal rates count")
    since: datetime | None = Field(None, description="The window's start; null: from the first")
    until: datetime | None = Field(None, description="The window's end; null: up to now")
    entries: dict[str, int] = Field(
        default_factory=dict, description="Runs of this version by status (active, completed…)"
    )
    nodes: list[NodeReport]
    generated_at: datetime


class CheckPublic(BaseModel):
    expression: str
    value: Any = None


class PathMessage(BaseModel):
    message_id: str
    channel: str
    template: str
    status: str
    reason: str | None
    error: str | None
    recipient: str | None
    subject: str | None
    created_at: datetime
    sent_at: datetime | None
    deferred_until: datetime | None


class PathStepPublic(BaseModel):
    node: str
    type: str
    visit: int
    entered_at: datetime
    left_at: datetime | None
    outcome: str | None = Field(
        None, description="exited, exit_criteria, errored, timed_out; null while still there"
    )
    detail: str | None = Field(None, description='Which way and why: "branch 0", "path a"…')
    checks: list[CheckPublic] = Field(
        default_factory=list, description="The expressions evaluated to choose, with values"
    )
    message: PathMessage | None = None


class RunPath(BaseModel):
    run_id: str
    workflow_id: str
    key: str | None = Field(
        None, description="A keyed journey's instance key (`entry.key`); null: unkeyed"
    )
    version: int
    status: str
    reason: str | None
    entered_at: datetime
    ended_at: datetime | None
    steps: list[PathStepPublic]


class ProfilePath(BaseModel):
    profile_id: str
    journey_id: str
    runs: list[RunPath] = Field(description="Newest first")


class JourneyOverview(BaseModel):
    """One journey's traffic at a glance, for the journeys list."""

    journey_id: str
    name: str
    status: str
    live_version: int | None
    updated_at: datetime
    inside: int = Field(description="Profiles in the journey now (runs not ended, any version)")
    entries: int = Field(description="Runs that entered over the window")
    exits: int = Field(description="Runs that ended over the window, however they ended")
    errored: int = Field(description="Of those, the runs that ended in an error")
    error_rate: float | None = Field(
        description="errored / exits (as the profile_error_rate alert counts); null without exits"
    )
    open_alerts: int = Field(description="Open alerts on this journey (scope journey:<id>)")


class JourneysOverview(BaseModel):
    window: str = Field(description="The window of entries, exits and errors (ISO 8601)")
    items: list[JourneyOverview]
    count: int


class SeriesBucket(BaseModel):
    """One bucket of a node's counts over time."""

    start: datetime
    entered: int = Field(description="Visits that entered the node in the bucket")
    exited: int = Field(description="Visits that left it to the next node in the bucket")
    errored: int = Field(description="Visits that ended there in an error in the bucket")
    sent: int | None = Field(None, description="A message node: messages sent in the bucket")
    failed: int | None = Field(None, description="A message node: sends that failed")
    skipped: int | None = Field(None, description="A message node: sends skipped")


class NodeSeries(BaseModel):
    journey_id: str
    version: int
    node: str
    type: str
    since: datetime
    until: datetime
    bucket: str = Field(description="The bucket size (ISO 8601 duration)")
    buckets: list[SeriesBucket]
