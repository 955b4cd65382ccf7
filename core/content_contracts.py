"""Inputs and results of the preview and proof workflows (services/previews.py starts them,
activities/previews.py renders through the channels). Versioned like core/contracts.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from journeys.model import Event, Profile


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class RenderRequest(_Model):
    """A template rendered for one profile and sample event, as a send would render it."""

    v: Literal[1] = 1
    template: str
    channel: str
    profile: Profile
    event: Event
    vars: dict[str, Any] = Field(default_factory=dict)
    campaign: dict[str, Any] | None = None
    now: datetime
    message_id: str


class SmsParts(_Model):
    segments: int
    encoding: str
    units: int


class PreviewResult(_Model):
    """Every part of the message exactly as the channel would send it."""

    v: Literal[1] = 1
    message_id: str
    template: str
    channel: str
    locale: str = "default"
    recipient: str | None = None
    subject: str | None = None
    body: str = ""
    html: str | None = None
    unsubscribe_url: str | None = None
    sms: SmsParts | None = None
    push: list[dict[str, Any]] | None = None
    webhook: dict[str, Any] | None = None
    error: str | None = Field(None, description="why the template does not render for them")


class ProofInput(_Model):
    """A template sent to test addresses: one rendering per address, recorded as proofs."""

    v: Literal[1] = 1
    render: RenderRequest
    to: list[str]
    workflow_id: str
    task_queue: str  # the base task queue: a remote channel's proofs go to its own queue


class ProofSent(_Model):
    message_id: str
    to: str
    status: Literal["sent", "failed"]
    error: str | None = None


class ProofResult(_Model):
    v: Literal[1] = 1
    messages: list[ProofSent]
