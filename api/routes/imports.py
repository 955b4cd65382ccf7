"""Bulk imports of profiles and of entity records: CSV or NDJSON uploads streamed into Postgres.

The body is never buffered: the body-limit middleware lets these paths through (`streamed`)
and `services.imports` reads `request.stream()` chunk by chunk, bounded by
`WAYLINE_IMPORT_MAX_BYTES` after gunzip. The answer comes once every row is merged.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from email.message import Message
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from api.deps import PoolDep, ProfilesWriter, Reader, SettingsDep, media_type
from api.errors import ApiError, field, not_found
from api.schemas.common import ERRORS
from api.schemas.entities import EntityTypePath
from api.schemas.imports import EntityImportPublic, ImportPublic
from imports.rows import Format
from services.entity_imports import import_entities
from services.imports import import_profiles, read_job

router = APIRouter(prefix="/profiles", tags=["profiles"], responses=ERRORS)
entity_router = APIRouter(prefix="/entities", tags=["entities"], responses=ERRORS)

_STREAMED = re.compile(r"/v1/(profiles|entities/[^/]+)/import")


def streamed(path: str) -> bool:
    """Whether the body-limit middleware must let this path's body through unread
    (api/app.py): the import uploads, which bound their stream themselves."""
    return _STREAMED.fullmatch(path) is not None


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


_Format = Annotated[
    Format | None, Query(description="csv or ndjson; default: from the Content-Type")
]
_DryRun = Annotated[bool, Query(description="Validate and count, change nothing")]
_Filename = Annotated[str | None, Query(max_length=300, description="Kept on the job")]


@dataclass(frozen=True)
class Upload:
    """An upload's query: the format it is in (None: from the Content-Type) and the
    import's options (`services.imports.run_import`)."""

    format: Format | None
    options: dict[str, Any]


def upload_query(
    settings: SettingsDep,
    format: _Format = None,
    dry_run: _DryRun = False,
    filename: _Filename = None,
) -> Upload:
    options = {"dry_run": dry_run, "filename": filename, "max_bytes": settings.import_max_bytes}
    return Upload(format, options)


UploadQuery = Annotated[Upload, Depends(upload_query)]


@router.post("/import", status_code=201, response_model=ImportPublic, openapi_extra=_UPLOAD_BODY)
async def import_profiles_upload(
    request: Request,
    response: Response,
    pool: PoolDep,
    _: ProfilesWriter,
    upload: UploadQuery,
) -> ImportPublic:
    """Import profiles from a CSV (`text/csv`) or NDJSON (`application/x-ndjson`) body.

    Gzip bodies are recognised by their magic bytes (`Content-Encoding: gzip` is fine).
    Valid rows are upserted (attributes merge), invalid ones reported by line; the import
    stays readable at `GET /v1/profiles/imports/{id}`. A file that cannot be read on (a
    bad header, a quote never closed) imports nothing and answers 422.
    """
    job = await _upload(request, upload, pool, None)
    response.headers["Location"] = f"/v1/profiles/imports/{job['id']}"
    return ImportPublic(**job)


async def _upload(
    request: Request, upload: Upload, pool: Any, entity_type: str | None
) -> dict[str, Any]:
    """Check the body's type, stream it into profiles (`entity_type` None) or records of
    that type, answer the job (or the error)."""
    charset = _charset(request)
    if charset not in (None, "utf-8", "utf8", "us-ascii"):
        raise ApiError(415, f"imports are read as UTF-8, not {charset}")
    fmt = upload.format or MEDIA_FORMATS.get(media_type(request) or "")
    if fmt is None:
        raise ApiError(
            415,
            f"expected Content-Type text/csv or application/x-ndjson (or ?format=), "
            f"got {media_type(request) or 'none'}",
        )
    async with pool.acquire() as conn:
        chunks = request.stream()
        if entity_type is None:
            report = await import_profiles(conn, chunks, fmt=fmt, source="api", **upload.options)
        else:
            report = await import_entities(
                conn, entity_type, chunks, fmt=fmt, source="api", **upload.options
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
    return job


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
    if job is None or job["entity_type"] is not None:
        raise not_found(f"import {import_id}")
    return ImportPublic(**job)


@entity_router.post(
    "/{name}/import", status_code=201, response_model=EntityImportPublic, openapi_extra=_UPLOAD_BODY
)
async def import_entities_upload(
    name: EntityTypePath,
    request: Request,
    response: Response,
    pool: PoolDep,
    _: ProfilesWriter,
    upload: UploadQuery,
) -> EntityImportPublic:
    """Import records of one entity type from a CSV (`text/csv`) or NDJSON
    (`application/x-ndjson`) body, maybe gzip.

    Each record is written whole, as by `PUT /v1/entities/{type}/{key}`, with the same
    checks; invalid rows are reported by line and field, the others stored. The import
    stays readable at `GET /v1/entities/{type}/imports/{id}`; a file that cannot be read
    on (a header naming no field, a quote never closed) imports nothing and answers 422.
    """
    job = await _upload(request, upload, pool, name)
    response.headers["Location"] = f"/v1/entities/{name}/imports/{job['id']}"
    return EntityImportPublic(**job)


@entity_router.get("/{name}/imports/{import_id}", response_model=EntityImportPublic)
async def get_entity_import(
    name: EntityTypePath,
    import_id: Annotated[uuid.UUID, Path(description="The id an import answered")],
    pool: PoolDep,
    _: Reader,
) -> EntityImportPublic:
    """An entity import's status, counts and first row errors (also while it runs)."""
    job = await read_job(pool, import_id)
    if job is None or job["entity_type"] != name:
        raise not_found(f"import {import_id} of {name}")
    return EntityImportPublic(**job)
