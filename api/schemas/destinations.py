"""Schemas of destinations: the body is the spec itself; secrets appear only by name."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from core.destinations import DestinationSpec


class DestinationPublic(BaseModel):
    name: str
    kind: str
    spec: DestinationSpec
    created_at: datetime
    updated_at: datetime


class ExportPublic(BaseModel):
    """One line of the ledger: a run (a file, an advertising upload) or a batch."""

    export_id: str
    kind: str
    run_id: str | None
    status: str
    started_at: datetime
    finished_at: datetime | None
    rows: int
    bytes: int
    attempts: int
    error: str | None
    location: str | None


class RunStarted(BaseModel):
    run_id: str
