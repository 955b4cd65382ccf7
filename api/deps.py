"""Dependencies shared by the routes: settings, pool, Temporal client and auth.

The plain getters are `async def` so FastAPI calls them in the event loop: a sync
dependency is run in the thread pool, four thread hand-offs per request for nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from email.message import Message
from typing import Annotated

import asyncpg
from fastapi import Depends, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from temporalio.client import Client

from api.errors import BODY_SCOPE_KEY, ApiError
from api.keys import KeyVerifier, Principal, Scope
from core.settings import Settings
from services.backpressure import OutboxGauge


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_pool(request: Request) -> asyncpg.Pool:
    pool: asyncpg.Pool = request.app.state.pool
    return pool


async def get_temporal(request: Request) -> Client:
    client: Client = request.app.state.temporal
    return client


async def get_verifier(request: Request) -> KeyVerifier:
    verifier: KeyVerifier = request.app.state.keys
    return verifier


INT4_MAX = (
    2_147_483_647  # PostgreSQL `integer`: a larger bind overflows instead of matching nothing
)
VersionPath = Annotated[int, Path(ge=1, le=INT4_MAX)]
VersionQuery = Annotated[
    int | None, Query(ge=1, le=INT4_MAX, description="Default: the live version")
]

SettingsDep = Annotated[Settings, Depends(get_settings)]
PoolDep = Annotated[asyncpg.Pool, Depends(get_pool)]
TemporalDep = Annotated[Client, Depends(get_temporal)]
VerifierDep = Annotated[KeyVerifier, Depends(get_verifier)]

_bearer = HTTPBearer(
    auto_error=False,
    description="An API key: `Authorization: Bearer wl_xxxxxxxx_...`",
)
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


async def authenticated(
    pool: PoolDep,
    verifier: VerifierDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The verified bearer key, whatever its scopes."""
    if credentials is None or not credentials.credentials:
        raise ApiError(401, "missing bearer API key", headers=_CHALLENGE)
    found = await verifier.verify(pool, credentials.credentials)
    if found is None:
        raise ApiError(401, "invalid or revoked API key", headers=_CHALLENGE)
    return found


def require(scope: Scope) -> Callable[..., Awaitable[Principal]]:
    """A dependency that verifies the bearer key and checks it grants `scope`."""

    async def principal(found: Annotated[Principal, Depends(authenticated)]) -> Principal:
        if not found.allows(scope):
            raise ApiError(403, f"this API key lacks the '{scope}' scope")
        return found

    principal.__name__ = f"require_{scope.replace(':', '_')}"
    return principal


Caller = Annotated[Principal, Depends(authenticated)]
EventsWriter = Annotated[Principal, Depends(require("events:write"))]
JourneysWriter = Annotated[Principal, Depends(require("journeys:write"))]
ProfilesWriter = Annotated[Principal, Depends(require("profiles:write"))]
Reader = Annotated[Principal, Depends(require("read"))]
Admin = Annotated[Principal, Depends(require("admin"))]
CampaignsWriter = Annotated[Principal, Depends(require("campaigns:write"))]
CampaignsApprover = Annotated[Principal, Depends(require("campaigns:approve"))]
JourneysApprover = Annotated[Principal, Depends(require("journeys:approve"))]


async def get_outbox(request: Request) -> OutboxGauge:
    gauge: OutboxGauge = request.app.state.outbox
    return gauge


def bulk_ingest(route: str) -> Callable[..., Awaitable[None]]:
    """A dependency refusing a bulk ingest with 429 while the outbox is over its bounds.

    Declare it after the key's dependency: a caller without a key learns that first."""

    async def admitted(pool: PoolDep, outbox: Annotated[OutboxGauge, Depends(get_outbox)]) -> None:
        await outbox.admit(pool, route)

    admitted.__name__ = f"admit_{route}"
    return admitted


JSON_TYPES = ("application/json",)
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")


def media_type(request: Request) -> str | None:
    """The bare media type of the request (`application/json`), or None if absent."""
    header = request.headers.get("content-type")
    if not header:
        return None
    message = Message()
    message["content-type"] = header
    return message.get_content_type()


def is_json(media: str | None) -> bool:
    return media is not None and (media in JSON_TYPES or media.endswith("+json"))


async def raw_body(request: Request) -> bytes:
    """The request body, as buffered by the body-limit middleware."""
    body = request.scope.get(BODY_SCOPE_KEY)
    return body if isinstance(body, bytes) else await request.body()


async def json_body(request: Request) -> None:
    """415 unless a request that carries a body declares it as JSON."""
    if request.method in ("POST", "PUT", "PATCH") and await raw_body(request):
        media = media_type(request)
        if not is_json(media):
            raise ApiError(415, f"expected Content-Type application/json, got {media or 'none'}")


JsonBody = Depends(json_body)
