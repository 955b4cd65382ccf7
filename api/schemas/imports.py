"""Bulk profile imports as the API reports them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class ImportRowError(BaseModel):
    line: int = Field(description="Line of the file where the row starts (the CSV header is 1)")
    field: str | None = Field(description="The column or key at fault; null: the whole row")
    message: str


class ImportPublic(BaseModel):
    """One import: its outcome, counts and the first row errors."""

    id: uuid.UUID
    status: Literal["running", "succeeded", "failed"]
    format: Literal["csv", "ndjson"]
    source: Literal["api", "cli"]
    filename: str | None
    dry_run: bool
    bytes_read: int = Field(description="Bytes received (compressed, if gzip)")
    rows_read: int = Field(description="Data rows read (not the header, not blank lines)")
    rows_valid: int
    rows_failed: int
    duplicates: int = Field(description="Valid rows superseded by a later row of the same id")
    created: int
    updated: int
    unchanged: int = Field(description="Valid rows that would change nothing (not written)")
    error_count: int = Field(description="Every row error found; `errors` holds the first 100")
    errors: list[ImportRowError]
    error: str | None = Field(description="Why a failed import stopped (nothing was imported)")
    started_at: datetime
    finished_at: datetime | None


class EntityImportPublic(ImportPublic):
    """One import of entity records; `duplicates` counts rows superseded by a later row of
    the same key, `created` and `updated` records."""

    entity_type: str = Field(description="The entity type the records were imported into")
