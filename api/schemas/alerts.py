"""Alerts raised by the evaluator in the worker (workers/alerts.py)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class AlertPublic(BaseModel):
    alert_id: int
    kind: str = Field(description="action_error_rate, message_failure_rate or profile_error_rate")
    scope: str = Field(
        description='"action:<name>", "fetch:<name>", "channel:<name>", "journey:<id>"'
    )
    status: str = Field(description="open or resolved")
    opened_at: datetime = Field(description="Since when")
    resolved_at: datetime | None
    value: float = Field(description="The rate that opened it")
    peak: float
    last_value: float = Field(description="The rate at the latest evaluation")
    threshold: float
    failures: int = Field(description="Failures in the window at the latest evaluation")
    samples: int = Field(description="Outcomes in the window at the latest evaluation")
    window_seconds: int
    evaluated_at: datetime
    notified_open_at: datetime | None
    notified_resolved_at: datetime | None
    delivery_error: str | None = Field(None, description="Why the last webhook delivery failed")
