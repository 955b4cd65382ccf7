"""Who the calling key is, for clients that hide what it may not do."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field


class MePublic(BaseModel):
    key_id: uuid.UUID
    name: str
    scopes: list[str] = Field(description="The scopes the key was created with")
    grants: list[str] = Field(
        description="Every scope the key is allowed (`admin` grants them all)",
        examples=[["read"]],
    )
    temporal_workflows: str | None = Field(
        None,
        description="The Temporal Web UI's workflow list of Wayline's namespace: a workflow's"
        " page is this plus `/<workflow id>` (null unless WAYLINE_TEMPORAL_UI_URL is set)",
        examples=["http://127.0.0.1:8233/namespaces/default/workflows"],
    )
