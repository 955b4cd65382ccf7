"""Open and click tracking: signed pixel and redirect URLs that record events.

`message.opened` and `message.clicked` go into the event outbox like any ingested event, so
a journey can `wait_for_event` on them. The token is the authentication: no API key.
The first open of a message is an event; later opens are duplicates of it. A token naming
decided offers (activities/channels/tracking.py) also records `offer.displayed` or
`offer.clicked` for each, once per message, which the ingest joins to its proposition as
if the app had sent them: tracked email counts in the decision report and feeds the bandit.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import RedirectResponse

from api.deps import PoolDep, SettingsDep
from api.errors import ApiError
from api.schemas.common import ERRORS
from api.schemas.events import EventCreate
from core.settings import Settings, secret
from core.signing import Tracked, read_tracking_token
from services.events import store

router = APIRouter(prefix="/t", tags=["tracking"], responses=ERRORS)

TokenQuery = Annotated[str, Query(min_length=1, max_length=4000, description="Signed token")]
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
NO_STORE = {"Cache-Control": "no-store, max-age=0"}


def _tracked(settings: Settings, token: str) -> Tracked:
    key = secret(settings.signing_secret)
    tracked = read_tracking_token(key, token) if key else None
    if tracked is None:
        raise ApiError(400, "invalid tracking token")
    return tracked


def _properties(tracked: Tracked) -> dict[str, str | None]:
    return {"message_id": tracked.message_id, "journey_id": tracked.journey_id}


def _offer_events(tracked: Tracked, name: str) -> list[EventCreate]:
    """One `offer.displayed` / `offer.clicked` per offer the token names, its id fixed by the
    message so a second open or click of the same offer is a duplicate."""
    return [
        EventCreate(
            event_id=f"{name}:{tracked.message_id}:{proposition}:{offer}",
            name=name,
            profile_id=tracked.profile_id,
            properties={
                "proposition_id": proposition,
                "offer_id": offer,
                "message_id": tracked.message_id,
            },
        )
        for proposition, offer in tracked.offers
    ]


@router.get("/open", response_class=Response)
async def track_open(token: TokenQuery, settings: SettingsDep, pool: PoolDep) -> Response:
    """The open pixel: records `message.opened` and answers a 1x1 GIF."""
    tracked = _tracked(settings, token)
    event = EventCreate(
        event_id=f"message.opened:{tracked.message_id}",
        name="message.opened",
        profile_id=tracked.profile_id,
        properties=_properties(tracked),
    )
    await store(pool, [event, *_offer_events(tracked, "offer.displayed")])
    return Response(PIXEL, media_type="image/gif", headers=NO_STORE)


@router.get("/click", response_class=RedirectResponse, status_code=302)
async def track_click(token: TokenQuery, settings: SettingsDep, pool: PoolDep) -> Response:
    """A tracked link: records `message.clicked` and redirects to the signed URL."""
    tracked = _tracked(settings, token)
    if not tracked.url:
        raise ApiError(400, "invalid tracking token")
    digest = hashlib.sha256(tracked.url.encode()).hexdigest()[:16]
    event = EventCreate(
        event_id=f"message.clicked:{tracked.message_id}:{digest}",
        name="message.clicked",
        profile_id=tracked.profile_id,
        properties={**_properties(tracked), "url": tracked.url},
    )
    await store(pool, [event, *_offer_events(tracked, "offer.clicked")])
    return RedirectResponse(tracked.url, status_code=302, headers=NO_STORE)
