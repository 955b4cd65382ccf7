"""`GET /v1/me`: the calling key and what it may do, so the console offers only that."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter

from api.deps import Caller, SettingsDep
from api.keys import SCOPES
from api.schemas.common import ERRORS
from api.schemas.me import MePublic

router = APIRouter(tags=["api-keys"], responses=ERRORS)


@router.get("/me")
async def who_am_i(caller: Caller, settings: SettingsDep) -> MePublic:
    """The key's id, name, scopes and every scope it grants; any valid key may ask.

    A client hides what the key may not do; the API still checks every call."""
    return MePublic(
        key_id=caller.key_id,
        name=caller.name,
        scopes=sorted(caller.scopes),
        grants=sorted(s for s in SCOPES if caller.allows(s)),
        temporal_workflows=_workflows_page(settings.temporal_ui_url, settings.temporal_namespace),
    )


def _workflows_page(ui: str | None, namespace: str) -> str | None:
    """Where the console links a journey's or a campaign's workflow in the Temporal UI."""
    return f"{ui.rstrip('/')}/namespaces/{quote(namespace, safe='')}/workflows" if ui else None
