"""Mail caught by `wayline dev`'s mail catcher (services/dev_mail.py)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class CaughtMailSummary(BaseModel):
    id: str = Field(description="The Maildir key of the message")
    received_at: datetime
    sender: str = Field(description="The From header")
    recipients: list[str] = Field(description="The SMTP envelope's recipients (Bcc included)")
    subject: str


class CaughtMailPublic(CaughtMailSummary):
    text: str | None = Field(description="The text/plain part, if any")
    html: str | None = Field(description="The text/html part, if any")
    headers: list[tuple[str, str]] = Field(description="Every header, in order")


class Cleared(BaseModel):
    deleted: int
