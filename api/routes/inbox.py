"""The in-app inbox: messages of the `in_app` channel, read and marked by apps.

An app authenticates with a profile-scoped token (`POST .../inbox/token` with an API key,
handed to the signed-in user's app), which opens that profile's inbox and nothing else;
API keys with `read` / `profiles:write` work too.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.deps import JsonBody, PoolDep, ProfilesWriter, SettingsDep, VerifierDep
from api.errors import ApiError, not_found
from api.routes.messages import decode_cursor, encode_cursor
from api.schemas.common import ERRORS, BeforeCursor, ProfileIdPath
from api.schemas.inbox import (
    InboxItemPublic,
    InboxItemUpdate,
    InboxPage,
    InboxStatus,
    InboxTokenPublic,
)
from core.settings import secret
from core.signing import read_token, sign_token
from db.sql import q

router = APIRouter(prefix="/profiles", tags=["inbox"], dependencies=[JsonBody], responses=ERRORS)

TOKEN_PREFIX = "wli_"
_bearer = HTTPBearer(auto_error=False, description="An API key or a profile's inbox token")
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def inbox_access(scope: str) -> Callable[..., Awaitable[None]]:
    """The profile's own inbox token, or an API key granting `scope`."""

    async def check(
        profile_id: ProfileIdPath,
        pool: PoolDep,
        verifier: VerifierDep,
        settings: SettingsDep,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> None:
        if credentials is None or not credentials.credentials:
            raise ApiError(401, "missing bearer token", headers=_CHALLENGE)
        value = credentials.credentials
        if value.startswith(TOKEN_PREFIX):
            key = secret(settings.signing_secret)
            data = read_token(key, "inbox", value[len(TOKEN_PREFIX) :]) if key else None
            if data is None or len(data) != 2 or not isinstance(data[1], int):
                raise ApiError(401, "invalid inbox token", headers=_CHALLENGE)
            if data[1] < time.time():
                raise ApiError(401, "expired inbox token", headers=_CHALLENGE)
            if data[0] != profile_id:
                raise ApiError(403, "this inbox token is for another profile")
            return
        found = await verifier.verify(pool, value)
        if found is None:
            raise ApiError(401, "invalid or revoked API key", headers=_CHALLENGE)
        if not found.allows(scope):
            raise ApiError(403, f"this API key lacks the '{scope}' scope")

    return check


InboxReader = Depends(inbox_access("read"))
InboxWriter = Depends(inbox_access("profiles:write"))


@router.post("/{profile_id}/inbox/token", status_code=201)
async def create_inbox_token(
    profile_id: ProfileIdPath, settings: SettingsDep, _: ProfilesWriter
) -> InboxTokenPublic:
    """A token that opens this profile's inbox only, for the profile's app."""
    key = secret(settings.signing_secret)
    if not key:
        raise ApiError(409, "inbox tokens need WAYLINE_SIGNING_SECRET")
    expires = int(time.time()) + settings.inbox_token_ttl_seconds
    token = TOKEN_PREFIX + sign_token(key, "inbox", [profile_id, expires])
    return InboxTokenPublic(token=token, expires_at=datetime.fromtimestamp(expires, UTC))


@router.get("/{profile_id}/inbox", dependencies=[InboxReader])
async def list_inbox(
    profile_id: ProfileIdPath,
    pool: PoolDep,
    status: InboxStatus | None = Query(None, description="Default: unread and read"),
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before: BeforeCursor = None,
) -> InboxPage:
    """A profile's inbox, newest first, with its unread count."""
    when, after_id = decode_cursor(before) if before else (None, None)
    rows = await pool.fetch(q("list_inbox"), profile_id, status, when, after_id, limit + 1)
    items = [InboxItemPublic(**dict(r)) for r in rows[:limit]]
    last = items[-1] if len(rows) > limit else None
    unread = await pool.fetchval(q("inbox_unread"), profile_id)
    return InboxPage(
        items=items,
        count=len(items),
        unread=unread,
        next_before=encode_cursor(last.created_at, last.message_id) if last else None,
    )


@router.patch("/{profile_id}/inbox/{message_id}", dependencies=[InboxWriter])
async def update_inbox_item(
    profile_id: ProfileIdPath,
    message_id: Annotated[str, Path(min_length=1, max_length=200)],
    body: InboxItemUpdate,
    pool: PoolDep,
) -> InboxItemPublic:
    """Mark a message read, unread or archived."""
    row = await pool.fetchrow(q("set_inbox_status"), profile_id, message_id, body.status)
    if row is None:
        raise not_found(f"inbox message {message_id!r}")
    return InboxItemPublic(**dict(row))
