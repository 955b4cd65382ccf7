"""`GET /metrics` for Prometheus, authenticated like every other endpoint.

Prometheus sends `Authorization: Bearer <token>` (`authorization: {credentials_file: ...}`
in its scrape config): either WAYLINE_METRICS_TOKEN, which opens this endpoint and nothing
else, or an API key with the `read` scope.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from api.deps import PoolDep, SettingsDep, VerifierDep
from api.errors import ApiError
from api.schemas.common import AUTH_ERRORS
from core.metrics import count_refused, refused_names
from core.settings import secret

router = APIRouter(tags=["metrics"])
_bearer = HTTPBearer(auto_error=False, description="WAYLINE_METRICS_TOKEN or a `read` API key")
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


async def scraper(
    settings: SettingsDep,
    pool: PoolDep,
    verifier: VerifierDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    if credentials is None or not credentials.credentials:
        raise ApiError(401, "missing bearer token", headers=_CHALLENGE)
    token = secret(settings.metrics_token)
    if token and hmac.compare_digest(credentials.credentials.encode(), token.encode()):
        return
    found = await verifier.verify(pool, credentials.credentials)
    if found is None:
        raise ApiError(401, "invalid metrics token or API key", headers=_CHALLENGE)
    if not found.allows("read"):
        raise ApiError(403, "this API key lacks the 'read' scope")


@router.get(
    "/metrics",
    dependencies=[Depends(scraper)],
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}, **AUTH_ERRORS},
)
async def metrics() -> Response:
    """The API process's metrics in the Prometheus text format."""
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


def count_refused_events(request: Request, body: object) -> None:
    """Called on a 400 of the ingest endpoints: their events count as refused."""
    if request.url.path.rstrip("/") in ("/v1/events", "/v1/events/batch"):
        count_refused(refused_names(body))
