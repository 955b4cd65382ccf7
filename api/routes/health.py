"""Liveness for load balancers and orchestrators: no auth, no Temporal, one query."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import PoolDep

router = APIRouter(tags=["health"])


@router.get("/health", responses={503: {"description": "Postgres is unreachable"}})
async def health(pool: PoolDep) -> JSONResponse:
    """Report whether the API can reach Postgres."""
    try:
        async with asyncio.timeout(2.0):
            await pool.fetchval("SELECT 1")
    except Exception as exc:
        return JSONResponse(
            {"status": "unavailable", "error": f"{type(exc).__name__}: {exc}"}, status_code=503
        )
    return JSONResponse({"status": "ok"})
