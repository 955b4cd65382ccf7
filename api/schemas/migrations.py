"""Moving running profiles between versions of a journey (POST /v1/journeys/{id}/migrations)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from api.deps import INT4_MAX
from api.schemas.common import Body


class MigrationCreate(Body):
    from_version: int = Field(
        ge=1, le=INT4_MAX, description="The version whose running profiles move"
    )
    to_version: int = Field(ge=1, le=INT4_MAX, description="The version they move to")
    mapping: dict[str, str] = Field(
        description="Node of from_version -> node of to_version; a wait maps to the same kind "
        "of wait (its deadline carries over) unless restart_waits"
    )
    unmapped: Literal["stay", "exit"] = Field(
        default="stay", description="A profile resting at an unmapped node stays, or exits"
    )
    restart_waits: bool = Field(
        default=False, description="Allow a wait mapped to the other kind; it starts afresh"
    )
    at: list[str] | None = Field(
        default=None, description="Only profiles waiting at one of these nodes of from_version"
    )
    when: str | None = Field(
        default=None,
        max_length=2000,
        description="Only profiles for whom this expression is true (profile, event, events, "
        "vars, journey, now), judged when the run applies the move",
    )
    dry_run: bool = Field(default=True, description="Only count; false moves them")


class MigrationResult(BaseModel):
    migration_id: uuid.UUID | None = Field(description="The audit record; null for a dry run")
    dry_run: bool
    from_version: int
    to_version: int
    candidates: int = Field(description="Runs of from_version the entry ledger knows as running")
    moves: dict[str, int] = Field(description='Runs moved per "old -> new" mapping')
    exits: int = Field(description="Runs at an unmapped node that exit (unmapped: exit)")
    moved: int
    skipped: dict[str, int] = Field(description="Runs not moved, by reason")
    failed: int = Field(description="Runs that could not be signalled")


class MigrationPublic(BaseModel):
    migration_id: uuid.UUID
    journey_id: str
    from_version: int
    to_version: int
    key_id: uuid.UUID
    key_name: str
    created_at: datetime
    mapping: dict[str, str]
    moved: int
    skipped: int
    failed: int
    applied: int = Field(description="Runs that have applied the move at their rest point")
