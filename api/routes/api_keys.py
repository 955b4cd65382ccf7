"""API keys: create (the value is shown once), list, revoke. Admin only."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from api.deps import Admin, JsonBody, PoolDep, VerifierDep
from api.errors import ApiError, not_found
from api.keys import ADMIN, insert_key
from api.schemas.api_keys import ApiKeyCreate, ApiKeyCreated, ApiKeyPublic
from api.schemas.common import ERRORS, Page
from db.sql import q

router = APIRouter(prefix="/api-keys", tags=["api-keys"], dependencies=[JsonBody], responses=ERRORS)


@router.post("", status_code=201)
async def create_api_key(body: ApiKeyCreate, pool: PoolDep, _: Admin) -> ApiKeyCreated:
    """Create a key; its value is in this answer only."""
    row, key = await insert_key(pool, name=body.name, scopes=body.scopes)
    return ApiKeyCreated(**dict(row), key=key)


@router.get("")
async def list_api_keys(pool: PoolDep, _: Admin) -> Page[ApiKeyPublic]:
    """List keys (prefixes and scopes, never the values)."""
    rows = await pool.fetch(q("list_api_keys"))
    return Page(items=[ApiKeyPublic(**dict(r)) for r in rows], count=len(rows))


@router.delete("/{key_id}", status_code=204)
async def revoke_api_key(
    key_id: uuid.UUID, pool: PoolDep, verifier: VerifierDep, _: Admin
) -> Response:
    """Revoke a key; refused for the last active admin key."""
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(q("get_api_key_for_update"), key_id)
        if row is None:
            raise not_found("API key")
        if (
            row["revoked_at"] is None
            and ADMIN in row["scopes"]
            and not await conn.fetchval(q("count_other_admin_keys"), key_id)
        ):
            raise ApiError(409, "cannot revoke the last active admin key")
        await conn.execute(q("revoke_api_key"), key_id)
    verifier.forget(key_id)
    return Response(status_code=204)
