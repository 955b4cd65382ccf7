"""Backtest requests and answers (`POST /v1/journeys/{id}/backtest`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, Field, model_validator

from api.deps import INT4_MAX
from api.schemas.common import Body
from journeys.fields import PositiveDurationStr


class BacktestCreate(Body):
    """Which definition to replay, over which stored events, and how calls answer."""

    definition: dict[str, Any] | None = Field(
        None, description="A candidate definition to replay instead of a stored one"
    )
    version: int | None = Field(None, ge=1, le=INT4_MAX, description="A published version")
    use: Literal["draft", "live"] | None = Field(
        None, description="The stored draft or the live version (default: live, else draft)"
    )
    since: PositiveDurationStr = Field(
        "P30D", description="The window: this long before `end` (ISO 8601 duration)"
    )
    start: AwareDatetime | None = Field(None, description="The window's start (instead of since)")
    end: AwareDatetime | None = Field(None, description="The window's end (default: now)")
    action_responses: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Canned responses by action or data-source name; a call with none "
        "stops that profile's run as `unknown` at its node",
    )
    failing_actions: list[str] = Field(
        default_factory=list, max_length=1000, description="Actions or sources that fail"
    )
    against_live: bool = Field(
        False,
        description="Also replay the live version over the same events and answer what "
        "would change: nodes added/removed/changed, every count's difference, and a sample "
        "of profiles whose path differs, with both paths",
    )

    @model_validator(mode="after")
    def _one_source(self) -> BacktestCreate:
        given = [n for n in ("definition", "version", "use") if getattr(self, n) is not None]
        if len(given) > 1:
            raise ValueError(f"give at most one of definition, version and use (got {given})")
        return self


class BacktestNode(BaseModel):
    entered: int
    exited: int
    exit_criteria: int
    errored: int
    timed_out: int
    waiting: int = Field(description="Still waiting at this node at the window's end")
    unknown: int = Field(description="Runs stopped here for want of a canned call answer")
    messages: dict[str, int] | None = Field(None, description="sent / skipped / failed")
    skipped: dict[str, int] | None = Field(None, description="Skips by reason")


class BacktestEdge(BaseModel):
    from_: str = Field(alias="from")
    to: str
    profiles: int


class BacktestPath(BaseModel):
    profile_id: str
    live: list[str] = Field(description="Nodes entered under the live version, in order")
    candidate: list[str] = Field(description="Nodes entered under the candidate")


class NodeChanges(BaseModel):
    added: list[str]
    removed: list[str]
    changed: list[str]


class BacktestChanges(BaseModel):
    """The candidate beside the live version, over the same events."""

    live_version: int
    nodes: NodeChanges
    live: dict[str, Any] = Field(description="The live version's counts (same shape)")
    difference: dict[str, Any] = Field(description="Candidate minus live, per count and node")
    profiles_differing: int
    sample: list[BacktestPath]


class BacktestPublic(BaseModel):
    """Predicted counts, as the live journey would have had them over the window."""

    journey_id: str
    source: str = Field(description="live, version N, draft or inline")
    version: int = Field(description="The version replayed (0 for a draft or inline)")
    start: datetime
    end: datetime
    profiles: int = Field(description="Profiles with relevant events in the window")
    profiles_entered: int
    entered: int = Field(description="Entries (a profile may enter more than once)")
    refused: dict[str, int] = Field(description="Entries refused, by rule")
    finished: dict[str, int] = Field(
        description="Runs by how they ended: completed, exited, timed_out, errored, "
        "waiting (at the window's end), unknown"
    )
    messages: int
    max_messages_per_profile: int
    messages_per_profile: dict[str, int] = Field(
        description="Number of messages sent -> profiles that got that many"
    )
    messages_per_day: dict[str, dict[str, int]] = Field(description="channel -> day -> sent")
    entries_per_day: dict[str, int]
    nodes: dict[str, BacktestNode]
    edges: list[BacktestEdge]
    changes: BacktestChanges | None = Field(None, description="With `against_live`")
