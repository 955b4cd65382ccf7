"""Bulk profile import: a CSV or NDJSON upload streamed straight into Postgres.

The body is never buffered: the body-limit middleware lets this path through (`STREAMED`)
and `services.imports` reads `request.stream()` chunk by chunk, bounded by
`WAYLINE_IMPORT_MAX_BYTES` after gunzip. The answer comes once every row is merged.
"""

from __future__ import annotations

import uuid
from email.message import Message
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from api.deps import PoolDep, ProfilesWriter, Reader, SettingsDep, media_type
from api.errors import ApiError, field, not_found
from api.schemas.common import ERRORS
from api.schemas.imports import ImportPublic
from imports.rows import Format
from services.imports import import_profiles, read_job

router = APIRouter(prefix="/profiles", tags=["profiles"], responses=ERRORS)

STREAMED = frozenset({"/v1/profiles/import"})
"""Paths the body-limit middleware must not buffer (api/app.py)."""

MEDIA_FORMATS: dict[str, Format] = {
    "text/csv": "csv",
    "application/csv": "csv",
    "application/x-ndjson": "ndjson",
    "application/ndjson": "ndjson",
    "application/jsonl": "ndjson",
    "application/x-jsonlines": "ndjson",
}


_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "description": "The file itself (maybe gzip); read as a stream, never held whole",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/x-ndjson": {"schema": {"type": "string"}},
        },
    }
}


@router.post("/import", status_code=201, response_model=ImportPublic, openapi_extra=_UPLOAD_BODY)
async def import_profiles_upload(
    request: Request,
    response: Response,
    pool: PoolDep,
    settings: SettingsDep,
    _: ProfilesWriter,
    format: Annotated[
        Format | None, Query(description="csv or ndjson; default: from the Content-Type")
    ] = None,
    dry_run: Annotated[bool, Query(description="Validate and count, change nothing")] = False,
    filename: Annotated[str | None, Query(max_length=300, description="Kept on the job")] = None,
) -> ImportPublic:
    """Import profiles from a CSV (`text/csv`) or NDJSON (`application/x-ndjson`) body.

    Gzip bodies are recognised by their magic bytes (`Content-Encoding: gzip` is fine).
    Valid rows are upserted (attributes merge), invalid ones reported by line; the import
    stays readable at `GET /v1/profiles/imports/{id}`. A file that cannot be read on (a
    bad header, a quote never closed) imports nothing and answers 422.
    """
    charset = _charset(request)
    if charset not in (None, "utf-8", "utf8", "us-ascii"):
        raise ApiError(415, f"imports are read as UTF-8, not {charset}")
    fmt = format or MEDIA_FORMATS.get(media_type(request) or "")
    if fmt is None:
        raise ApiError(
            415,
            f"expected Content-Type text/csv or application/x-ndjson (or ?format=), "
            f"got {media_type(request) or 'none'}",
        )
    async with pool.acquire() as conn:
        report = await import_profiles(
            conn,
            request.stream(),
            fmt=fmt,
            source="api",
            filename=filename,
            dry_run=dry_run,
            max_bytes=settings.import_max_bytes,
        )
        job = await read_job(conn, report.id)
    if report.status == "failed":
        raise ApiError(
            413 if report.too_large else 422,
            f"import {report.id} failed: {report.error}",
            code="import_failed",
            fields=[field(report.error_field or "body", report.error or "failed")],
        )
    assert job is not None
    response.headers["Location"] = f"/v1/profiles/imports/{report.id}"
    return ImportPublic(**job)


def _charset(request: Request) -> str | None:
    message = Message()
    message["content-type"] = request.headers.get("content-type", "")
    charset = message.get_param("charset")
    return charset.lower() if isinstance(charset, str) else None


@router.get("/imports/{import_id}", response_model=ImportPublic)
async def get_import(
    import_id: Annotated[uuid.UUID, Path(description="The id an import answered")],
    pool: PoolDep,
    _: Reader,
) -> ImportPublic:
    """An import's status, counts and first row errors (also while it runs)."""
    job = await read_job(pool, import_id)
    if job is None:
        raise not_found(f"import {import_id}")
    return ImportPublic(**job)
