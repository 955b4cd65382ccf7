"""`GET /v1/me`: the calling key and what it may do, so the console offers only that."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import Caller
from api.keys import SCOPES
from api.schemas.common import ERRORS
from api.schemas.me import MePublic

router = APIRouter(tags=["api-keys"], responses=ERRORS)


@router.get("/me")
async def who_am_i(caller: Caller) -> MePublic:
    """The key's id, name, scopes and every scope it grants; any valid key may ask.

    A client hides what the key may not do; the API still checks every call."""
    return MePublic(
        key_id=caller.key_id,
        name=caller.name,
        scopes=sorted(caller.scopes),
        grants=sorted(s for s in SCOPES if caller.allows(s)),
    )
