"""Unsubscribe links: the one endpoint authenticated by a signed token instead of an API key.

`GET` shows a confirmation page (link scanners follow GETs, so a GET changes nothing);
`POST` unsubscribes, from the page's button or as the one-click `List-Unsubscribe-Post`
of RFC 8058 (`List-Unsubscribe=One-Click` in the body).
"""

from __future__ import annotations

from html import escape
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from api.deps import PoolDep, SettingsDep
from api.errors import ApiError
from api.schemas.common import ERRORS
from core.settings import Settings, secret
from core.signing import UnsubscribeScope, read_unsubscribe_token
from db.sql import q

router = APIRouter(prefix="/unsubscribe", tags=["unsubscribe"], responses=ERRORS)

TokenQuery = Annotated[str, Query(min_length=1, max_length=2000, description="Signed token")]


def _scope(settings: Settings, token: str) -> UnsubscribeScope:
    key = secret(settings.signing_secret)
    if not key:
        raise ApiError(404, "unsubscribe links are not configured (WAYLINE_SIGNING_SECRET)")
    scope = read_unsubscribe_token(key, token)
    if scope is None:
        raise ApiError(400, "invalid unsubscribe token")
    return scope


def _what(scope: UnsubscribeScope) -> str:
    topic = f" about {escape(scope.topic)}" if scope.topic else ""
    return f"{escape(scope.channel)} messages{topic}"


def _page(title: str, text: str, form: str = "") -> HTMLResponse:
    return HTMLResponse(
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{title}</title></head><body><h1>{title}</h1><p>{text}</p>{form}</body></html>"
    )


@router.get("", response_class=HTMLResponse)
async def unsubscribe_page(token: TokenQuery, settings: SettingsDep) -> HTMLResponse:
    """A confirmation page whose button unsubscribes."""
    scope = _scope(settings, token)
    form = (
        f"<form method='post' action='?token={escape(token)}'>"
        "<button type='submit'>Unsubscribe</button></form>"
    )
    return _page("Unsubscribe", f"Stop receiving {_what(scope)}?", form)


@router.post("", response_class=HTMLResponse)
async def unsubscribe(token: TokenQuery, settings: SettingsDep, pool: PoolDep) -> HTMLResponse:
    """Unsubscribe the token's profile from its channel or topic (RFC 8058 one-click)."""
    scope = _scope(settings, token)
    await pool.execute(
        q("set_subscription"), scope.profile_id, scope.channel, scope.topic, "unsubscribed"
    )
    return _page("Unsubscribed", f"You will no longer receive {_what(scope)}.")
