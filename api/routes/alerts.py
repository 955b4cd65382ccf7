"""Alerts on error rates: open ones first to look at, resolved ones kept as history."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from api.deps import PoolDep, Reader
from api.schemas.alerts import AlertPublic
from api.schemas.common import ERRORS, Page
from db.sql import q

router = APIRouter(prefix="/alerts", tags=["alerts"], responses=ERRORS)

AlertKind = Literal["action_error_rate", "message_failure_rate", "profile_error_rate"]


@router.get("")
async def list_alerts(
    pool: PoolDep,
    _: Reader,
    status: Literal["open", "resolved"] | None = None,
    kind: AlertKind | None = None,
    scope: Annotated[str | None, Query(max_length=300, examples=["channel:email"])] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Page[AlertPublic]:
    """Alerts, newest first: the rate, threshold and sample when opened and now."""
    rows = await pool.fetch(q("list_alerts"), status, kind, scope, limit)
    return Page(items=[AlertPublic(**dict(r)) for r in rows], count=len(rows))
