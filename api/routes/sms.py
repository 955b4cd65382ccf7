"""SMS delivery-status callbacks (Twilio's shape): the ledger notes the status and
`message.delivered` / `message.failed` events go to the event outbox for journeys.

The URL carries a token signed for the message; it is the authentication (no API key).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Query, Request, Response

from api.deps import PoolDep, SettingsDep, raw_body
from api.errors import ApiError
from api.schemas.common import ERRORS
from api.schemas.events import EventCreate
from core.settings import secret
from core.signing import read_token
from db.sql import q
from services.events import store

router = APIRouter(prefix="/sms", tags=["sms"], responses=ERRORS)

TokenQuery = Annotated[str, Query(min_length=1, max_length=2000, description="Signed token")]
FAILED = frozenset({"failed", "undelivered"})


@router.post("/status", status_code=204)
async def sms_status(
    token: TokenQuery, request: Request, settings: SettingsDep, pool: PoolDep
) -> Response:
    """A delivery-status callback: records `message.delivered` or `message.failed`."""
    key = secret(settings.signing_secret)
    data = read_token(key, "sms-status", token) if key else None
    if data is None or len(data) != 3:
        raise ApiError(400, "invalid callback token")
    message_id, profile_id, journey_id = data
    form = {k: v[0] for k, v in parse_qs((await raw_body(request)).decode()).items()}
    status = form.get("MessageStatus") or form.get("SmsStatus")
    if not status:
        raise ApiError(400, "MessageStatus is missing")
    code = form.get("ErrorCode")
    error = f"sms {status} (error {code})" if status in FAILED else None
    await pool.execute(q("record_delivery"), message_id, status, error)
    if status == "delivered" or status in FAILED:
        name = "message.delivered" if status == "delivered" else "message.failed"
        properties = {"message_id": message_id, "journey_id": journey_id, "status": status}
        if code:
            properties["error_code"] = code
        event = EventCreate(
            event_id=f"{name}:{message_id}", name=name, profile_id=profile_id, properties=properties
        )
        await store(pool, [event])
    return Response(status_code=204)
