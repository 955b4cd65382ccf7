"""Journey definitions: drafts (PUT), validation, publishing immutable versions, stopping."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Body, Query, Request, Response

from api.deps import (
    JSON_TYPES,
    YAML_TYPES,
    JourneysApprover,
    JourneysWriter,
    PoolDep,
    Reader,
    SettingsDep,
    TemporalDep,
    VersionPath,
    is_json,
    media_type,
    raw_body,
)
from api.errors import ApiError, FieldError, field, invalid, not_found
from api.schemas.common import ERRORS, JourneyIdPath, Page
from api.schemas.journeys import (
    ApprovalCreate,
    ApprovalPolicy,
    ApprovalPublic,
    InFlight,
    JourneyPublic,
    JourneySummary,
    JourneyVersionPublic,
    KeyRef,
    ProblemPublic,
    Published,
    Stopped,
    TestRunCreate,
    TestRunPublic,
    ValidationPublic,
    VersionSummary,
)
from api.storable import first_unstorable
from db.sql import q
from db.types import Executor
from journeys.loader import DefinitionSyntaxError, load_text
from journeys.model import Profile
from journeys.problems import Problem
from services import journey_approvals
from services.journeys import dump, parsed, publish, stop, validation
from services.testrun import TestRun, definition_to_test, run_test

router = APIRouter(prefix="/journeys", tags=["journeys"], responses=ERRORS)

DEFINITION_BODY = {
    "requestBody": {
        "required": True,
        "description": "A journey definition (schema: `GET /v1/schemas/journey.json`)",
        "content": {
            **{t: {"schema": {"type": "object"}} for t in JSON_TYPES},
            **{t: {"schema": {"type": "string"}} for t in YAML_TYPES},
        },
    }
}


async def read_definition(request: Request) -> dict[str, Any]:
    """The body as a definition document, from JSON or YAML."""
    media = media_type(request)
    if media is not None and not is_json(media) and media not in YAML_TYPES:
        raise ApiError(
            415, f"expected a JSON or YAML Content-Type ({', '.join(YAML_TYPES)}), got {media}"
        )
    raw = await raw_body(request)
    if not raw.strip():
        raise ApiError(400, "the request body is empty", fields=[field("body", "required")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(400, f"the body is not UTF-8 (byte {exc.start})") from None
    try:
        document = await asyncio.to_thread(load_text, text, media)  # YAML: 2.5 s a MiB
    except DefinitionSyntaxError as exc:
        code = "malformed_json" if is_json(media) else "malformed_yaml"
        raise ApiError(400, str(exc), code=code, fields=[field("body", str(exc))]) from None
    unstorable = None if is_json(media) else first_unstorable(document)
    if unstorable is not None:  # a YAML "\0" escape: JSON bodies were checked at the door
        raise unstorable.error()
    return document


def problem_fields(problems: list[Problem]) -> list[FieldError]:
    return [field(p.path, p.message) for p in problems]


def _key(row: asyncpg.Record, column: str) -> KeyRef | None:
    key_id = row[column]
    return None if key_id is None else KeyRef(key_id=key_id, name=row[f"{column}_name"])


def approval_public(row: asyncpg.Record) -> ApprovalPublic:
    """The approval as the current draft has it; withdrawn columns read as None."""
    state = journey_approvals.state(row)
    asked = state != "none"
    return ApprovalPublic(
        state=state,
        draft_updated_at=row["draft_updated_at"],
        draft_updated_by=_key(row, "draft_updated_by"),
        requested_by=_key(row, "approval_requested_by") if asked else None,
        requested_at=row["approval_requested_at"] if asked else None,
        approved_by=_key(row, "approved_by") if state == "approved" else None,
        approved_at=row["approved_at"] if state == "approved" else None,
    )


async def journey_public(pool: Executor, journey_id: str) -> JourneyPublic:
    row = await pool.fetchrow(q("read_journey"), journey_id)
    if row is None:
        raise not_found(f"journey {journey_id!r}")
    versions = await pool.fetch(q("list_journey_versions"), journey_id)
    approval = await journey_approvals.read(pool, journey_id)
    inside = await pool.fetch(q("journey_in_flight"), journey_id)
    return JourneyPublic(
        **dict(row),
        versions=[VersionSummary(**dict(v)) for v in versions],
        requires_approval=approval["requires_approval"],
        approval=approval_public(approval),
        in_flight=[InFlight(**dict(r)) for r in inside],
    )


@router.put(
    "/{journey_id}", responses={201: {"model": JourneyPublic}}, openapi_extra=DEFINITION_BODY
)
async def put_journey(
    journey_id: JourneyIdPath,
    request: Request,
    pool: PoolDep,
    response: Response,
    who: JourneysWriter,
) -> JourneyPublic:
    """Create or replace the draft; it must be valid (templates are checked at publish).

    A changed draft withdraws its approval request and approval; the same draft again
    changes nothing."""
    data = await read_definition(request)
    if data.setdefault("id", journey_id) != journey_id:
        raise invalid([field("id", f"must be {journey_id!r} (the id in the path) or absent")])
    definition, problems = await parsed(data)
    if problems or definition is None:
        raise invalid(problem_fields(problems), "the journey definition is invalid")
    name = getattr(definition, "name", None) or journey_id
    async with pool.acquire() as conn, conn.transaction():
        created = await conn.fetchval(q("put_journey_draft"), journey_id, name, data, who.key_id)
        journey = await journey_public(conn, journey_id)
    response.status_code = 201 if created else 200
    return journey


@router.post("/validate", openapi_extra=DEFINITION_BODY)
async def validate_journey(
    request: Request,
    pool: PoolDep,
    _: JourneysWriter,
    check_templates: Annotated[
        bool, Query(description="Also check the templates it names exist, as publish does")
    ] = False,
) -> ValidationPublic:
    """Validate a definition without saving it; every problem is listed."""
    data = await read_definition(request)
    definition, problems = await validation(pool, data, check_templates)
    valid = not problems and definition is not None
    return ValidationPublic(
        valid=valid,
        problems=[ProblemPublic(path=p.path, message=p.message) for p in problems],
        definition=dump(definition) if valid else None,
    )


@router.post(
    "/{journey_id}/publish",
    status_code=201,
    responses={200: {"model": Published, "description": "Unchanged: the latest version"}},
)
async def publish_journey(
    journey_id: JourneyIdPath,
    pool: PoolDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    response: Response,
    _: JourneysWriter,
) -> Published:
    """Publish the draft as a new immutable version and make it live."""
    done = await publish(pool, temporal, settings.task_queue, journey_id)
    response.status_code = 201 if done.new else 200
    return Published(journey_id=journey_id, version=done.version)


@router.put("/{journey_id}/approval-policy")
async def put_approval_policy(
    journey_id: JourneyIdPath, body: ApprovalPolicy, pool: PoolDep, _: JourneysWriter
) -> JourneyPublic:
    """Require (or stop requiring) another key's approval of the draft before publish."""
    await journey_approvals.set_policy(pool, journey_id, body.requires_approval)
    return await journey_public(pool, journey_id)


@router.post("/{journey_id}/approval-request")
async def request_approval(
    journey_id: JourneyIdPath, pool: PoolDep, who: JourneysWriter
) -> JourneyPublic:
    """Ask for the current draft to be approved; this key may then not approve it."""
    await journey_approvals.request(pool, journey_id, who.key_id)
    return await journey_public(pool, journey_id)


@router.post("/{journey_id}/approve")
async def approve_journey(
    journey_id: JourneyIdPath,
    pool: PoolDep,
    who: JourneysApprover,
    body: Annotated[ApprovalCreate | None, Body()] = None,
) -> JourneyPublic:
    """Approve the current draft; the key that last changed it or asked cannot (403)."""
    seen = body.draft_updated_at if body else None
    await journey_approvals.approve(pool, journey_id, who.key_id, seen)
    return await journey_public(pool, journey_id)


@router.post("/{journey_id}/stop")
async def stop_journey(
    journey_id: JourneyIdPath,
    pool: PoolDep,
    temporal: TemporalDep,
    _: JourneysWriter,
    terminate: Annotated[
        bool, Query(description="Also end every running journey now (recorded as exited)")
    ] = False,
) -> Stopped:
    """Stop new entries; running journeys go on, or end at once with terminate=true."""
    ended = await stop(pool, temporal, journey_id, terminate)
    return Stopped(journey_id=journey_id, status="stopped", terminated=ended)


@router.get("")
async def list_journeys(pool: PoolDep, _: Reader) -> Page[JourneySummary]:
    """List journeys with their status and live version."""
    rows = await pool.fetch(q("list_journeys"))
    return Page(items=[JourneySummary(**dict(r)) for r in rows], count=len(rows))


@router.get("/{journey_id}")
async def get_journey(journey_id: JourneyIdPath, pool: PoolDep, _: Reader) -> JourneyPublic:
    """Read a journey: its draft, status, live version and published versions."""
    return await journey_public(pool, journey_id)


@router.get("/{journey_id}/versions/{version}")
async def get_journey_version(
    journey_id: JourneyIdPath,
    version: VersionPath,
    pool: PoolDep,
    _: Reader,
) -> JourneyVersionPublic:
    """Read the definition of a published version."""
    row = await pool.fetchrow(q("read_journey_version"), journey_id, version)
    if row is None:
        raise not_found(f"version {version} of journey {journey_id!r}")
    return JourneyVersionPublic(**dict(row))


@router.post("/{journey_id}/test")
async def test_journey(
    journey_id: JourneyIdPath, body: TestRunCreate, pool: PoolDep, _: JourneysWriter
) -> TestRunPublic:
    """Run the draft (or the live version, or an inline `definition`) for a test profile on
    a virtual clock: the path, each visit's evaluated expressions, messages and requests."""
    definition = await definition_to_test(pool, journey_id, body.use, body.definition)
    done = await run_test(pool, definition, Profile(**body.profile.model_dump()), body)
    return _test_public(done)


def _test_public(done: TestRun) -> TestRunPublic:
    run = done.simulation
    if run is None:
        return TestRunPublic(
            entered=False,
            status="not entered",
            reason=done.why,
            started_at=done.start,
            ended_at=done.start,
            path=[],
            steps=[],
            visits=[],
            vars={},
            profile=done.profile.model_dump(mode="json"),
        )
    return TestRunPublic(
        entered=True,
        status=run.status,
        reason=run.reason,
        started_at=done.start,
        ended_at=run.ended_at,
        path=[p.model_dump(mode="json") for p in run.state.path],
        steps=run.records,
        visits=[v.model_dump(mode="json") for v in run.visits],
        vars=run.state.vars,
        profile=run.state.profile.model_dump(mode="json"),
    )
