"""Segment-compatible ingest: a stock Segment library pointed at Wayline works.

Authentication follows Segment: the write key is the Basic-auth user with an empty
password, or, without an Authorization header, the body's `writeKey` (what browser
libraries send, as `text/plain` to spare a CORS preflight). Here the write key is a Wayline
API key with the `events:write` scope (a plain `Bearer` key works too). Libraries append
`/v1/batch` (or `/v1/track`, ...) to their configured host, so with
`host=https://wayline.example/v1/segment` they call `/v1/segment/v1/batch`; both that and
the shorter `/v1/segment/batch` are served.

Segment libraries retry 5xx and 429 but drop a batch answered with another 4xx, so a batch
is answered 200 whenever its envelope is readable: good items are applied, bad ones are
listed in `errors` by path (`batch[3].userId`). Single calls answer 422 naming the field.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from pydantic import ValidationError

from api.deps import (
    PoolDep,
    SettingsDep,
    TemporalDep,
    VerifierDep,
    bulk_ingest,
    is_json,
    media_type,
    raw_body,
)
from api.errors import ApiError, invalid
from api.keys import Principal
from api.schemas.common import BULK_ERRORS, ERRORS
from api.schemas.segment import (
    TYPES,
    SegmentAccepted,
    SegmentBatch,
    SegmentCall,
    SegmentItemError,
    SegmentType,
)
from api.segment_ingest import apply_calls, field_errors, parse_batch, parse_call
from api.storable import body_problem, encoding_problem


async def segment_body(request: Request) -> None:
    """JSON, or `text/plain` carrying JSON (Segment's browser library); 415 otherwise."""
    media = media_type(request)
    if await raw_body(request) and not (is_json(media) or media == "text/plain"):
        raise ApiError(415, f"expected Content-Type application/json, got {media or 'none'}")


router = APIRouter(
    prefix="/segment", tags=["segment"], dependencies=[Depends(segment_body)], responses=ERRORS
)

SCOPE = "events:write"
_CHALLENGE = {"WWW-Authenticate": 'Basic realm="wayline"'}


def write_key(authorization: str | None) -> str | None:
    """The key from `Basic base64(key:)` (Segment) or `Bearer key`; None if absent."""
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer":
        return value or None
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user = decoded.partition(":")[0]
    return user or None


_basic = HTTPBasic(
    auto_error=False,
    description="Segment's convention: the write key (a Wayline API key) as user, no password",
)


async def segment_writer(
    request: Request,
    pool: PoolDep,
    verifier: VerifierDep,
    settings: SettingsDep,
    _documented: Annotated[HTTPBasicCredentials | None, Depends(_basic)],
) -> Principal:
    """Basic (Segment), Bearer, else the body's `writeKey`; `_documented` is for OpenAPI."""
    header = request.headers.get("authorization")
    key = write_key(header)
    if key is None and not header:
        body = await _json(request, settings.max_body_bytes)
        in_body = body.get("writeKey") if isinstance(body, dict) else None
        key = in_body if isinstance(in_body, str) and in_body else None
    if key is None:
        raise ApiError(
            401,
            "missing write key (Basic auth user, or writeKey) or bearer key",
            headers=_CHALLENGE,
        )
    found = await verifier.verify(pool, key)
    if found is None:
        raise ApiError(401, "invalid or revoked API key", headers=_CHALLENGE)
    if not found.allows(SCOPE):
        raise ApiError(403, f"this API key lacks the '{SCOPE}' scope")
    return found


SegmentWriter = Annotated[Principal, Depends(segment_writer)]


async def _json(request: Request, limit: int) -> Any:
    """The body, gunzipped when the client says so (bounded), parsed as JSON (once)."""
    if hasattr(request.state, "segment_json"):
        return request.state.segment_json
    request.state.segment_json = await _parse(request, limit)
    return request.state.segment_json


async def _parse(request: Request, limit: int) -> Any:
    body = await raw_body(request)
    if request.headers.get("content-encoding", "").lower() == "gzip":
        inflater = zlib.decompressobj(wbits=31)
        try:
            body = inflater.decompress(body, limit + 1)
        except zlib.error as exc:
            raise ApiError(400, f"body is not valid gzip: {exc}", code="bad_request") from None
        if len(body) > limit or inflater.unconsumed_tail:
            raise ApiError(413, f"the unzipped body exceeds the limit of {limit} bytes")
        problem = encoding_problem(body) or body_problem(body)  # the door saw gzip bytes
        if problem is not None:
            raise problem.error()
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ApiError(
            400,
            f"malformed JSON: {exc}",
            code="malformed_json",
            fields=[{"field": "body", "message": str(exc)}],
        ) from None


def _schema(model: type[Any]) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": model.model_json_schema(by_alias=True)}},
        }
    }


async def _single(
    kind: SegmentType, request: Request, pool: PoolDep, temporal: TemporalDep, limit: int
) -> SegmentAccepted:
    parsed = parse_call(datetime.now(UTC), kind, await _json(request, limit), "")
    if isinstance(parsed, list):
        raise invalid(parsed)
    outcome = await apply_calls(pool, temporal, [parsed])
    return SegmentAccepted(
        success=True,
        accepted=outcome.accepted,
        duplicates=outcome.duplicates,
        event_ids=outcome.event_ids,
    )


def _single_route(kind: SegmentType) -> None:
    async def handler(
        request: Request,
        pool: PoolDep,
        temporal: TemporalDep,
        settings: SettingsDep,
        _: SegmentWriter,
    ) -> SegmentAccepted:
        return await _single(kind, request, pool, temporal, settings.max_body_bytes)

    handler.__name__ = f"segment_{kind}"
    handler.__doc__ = f"Segment `{kind}` call (HTTP Tracking API shape)."
    for path in (f"/{kind}", f"/v1/{kind}"):
        router.add_api_route(
            path,
            handler,
            methods=["POST"],
            name=f"segment_{kind}" + ("_v1" if path.startswith("/v1") else ""),
            openapi_extra=_schema(SegmentCall),
            include_in_schema=not path.startswith("/v1"),
        )


for _kind in TYPES:
    _single_route(_kind)


async def _batch(
    request: Request, pool: PoolDep, temporal: TemporalDep, settings: SettingsDep
) -> SegmentAccepted:
    raw = await _json(request, settings.max_body_bytes)
    try:
        envelope = SegmentBatch.model_validate(raw)
    except ValidationError as exc:
        raise invalid(field_errors(exc)) from None
    calls, errors = parse_batch(datetime.now(UTC), envelope.batch, envelope.context)
    outcome = await apply_calls(pool, temporal, calls)
    rejected = len(envelope.batch) - len(calls)
    return SegmentAccepted(
        success=not errors,
        accepted=outcome.accepted,
        duplicates=outcome.duplicates,
        rejected=rejected,
        event_ids=outcome.event_ids,
        errors=[SegmentItemError(**e) for e in errors],
    )


SegmentBulk = Annotated[None, Depends(bulk_ingest("segment_batch"))]


@router.post("/batch", openapi_extra=_schema(SegmentBatch), responses=BULK_ERRORS)
async def segment_batch(
    request: Request,
    pool: PoolDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    _: SegmentWriter,
    __: SegmentBulk,
) -> SegmentAccepted:
    """Segment `batch` (also `/v1/segment/v1/batch` and `/v1/segment/v1/import`).

    Refused with 429 and `Retry-After` while too many events wait to be routed, as Segment's
    libraries expect (they back off and retry); the single calls (`track`, ...) never are."""
    return await _batch(request, pool, temporal, settings)


@router.post("/v1/batch", include_in_schema=False)
@router.post("/v1/import", include_in_schema=False)
async def segment_batch_v1(
    request: Request,
    pool: PoolDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    _: SegmentWriter,
    __: SegmentBulk,
) -> SegmentAccepted:
    return await _batch(request, pool, temporal, settings)
