"""Inputs and results of the destination workflows and activities (versioned, as in
core/contracts.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DestinationRoute(_Model):
    """Where and how a destination's activities run: its queue and its retries."""

    task_queue: str
    max_attempts: int = 3
    initial_interval_seconds: float = 1.0
    backoff: float = 2.0
    max_interval_seconds: float = 60.0
    timeout_seconds: float = 60.0


class StreamInput(_Model):
    v: Literal[1] = 1
    destination: str
    route: DestinationRoute
    idle_seconds: float = 20.0


class StreamResult(_Model):
    v: Literal[1] = 1
    outcome: Literal["delivered", "idle", "refused", "gone"]
    rows: int = 0


class RunInput(_Model):
    v: Literal[1] = 1
    destination: str
    run_id: str = ""  # empty: the workflow's own id (a scheduled run)
    route: DestinationRoute | None = None  # None: read by the first activity
    kind: str | None = None  # likewise


class BatchInput(_Model):
    v: Literal[1] = 1
    destination: str
    run_id: str
    seq: int
    after: str  # the last profile id of the previous batch ('' at first)


class BatchResult(_Model):
    v: Literal[1] = 1
    after: str
    rows: int
    done: bool


class RunResult(_Model):
    v: Literal[1] = 1
    status: Literal["succeeded", "failed"]
    rows: int = 0
    bytes: int = 0
    error: str | None = None
