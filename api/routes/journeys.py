"""Journey definitions: drafts (PUT), validation, publishing immutable versions, stopping."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Path, Query, Request, Response
from temporalio.client import Client
from temporalio.service import RPCError

from api.deps import (
    JSON_TYPES,
    YAML_TYPES,
    JourneysWriter,
    PoolDep,
    Reader,
    SettingsDep,
    TemporalDep,
    is_json,
    media_type,
    raw_body,
)
from api.errors import ApiError, FieldError, field, invalid, not_found
from api.schemas.common import ERRORS, JourneyIdPath, Page
from api.schemas.journeys import (
    JourneyPublic,
    JourneySummary,
    JourneyVersionPublic,
    ProblemPublic,
    Published,
    Stopped,
    TestRunCreate,
    TestRunPublic,
    ValidationPublic,
    VersionSummary,
)
from api.testrun import TestResponder
from audiences.problems import Problem, format_path
from core.journey_client import terminate_journeys
from core.journey_schedules import delete_audience_schedule, sync_audience_schedule
from core.metrics import JOURNEY_EXITS
from core.names import KNOWN_CHANNELS, NOTIFY_JOURNEYS
from db.sql import q
from db.types import Executor
from journeys.durations import add_duration
from journeys.loader import DefinitionSyntaxError, load_text
from journeys.model import Event, JourneyDefinition, Profile
from journeys.routing import entry_matches
from journeys.simulate import simulate
from journeys.validate import parse_definition

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
        return load_text(text, media)
    except DefinitionSyntaxError as exc:
        code = "malformed_json" if is_json(media) else "malformed_yaml"
        raise ApiError(400, str(exc), code=code, fields=[field("body", str(exc))]) from None


def problem_fields(problems: list[Problem]) -> list[FieldError]:
    return [field(p.path, p.message) for p in problems]


def channel_mismatches(
    node: Any, templates: dict[str, str], path: list[str | int] | None = None
) -> list[Problem]:
    """Every `{channel, template}` pair in the definition whose template is for another channel."""
    path = path or []
    found: list[Problem] = []
    if isinstance(node, dict):
        template, channel = node.get("template"), node.get("channel")
        if isinstance(template, str) and isinstance(channel, str):
            actual = templates.get(template)
            if actual is not None and actual != channel:
                message = f"template {template!r} is for channel {actual!r}, not {channel!r}"
                found.append(Problem(path=format_path([*path, "template"]), message=message))
        for key, value in node.items():
            found += channel_mismatches(value, templates, [*path, str(key)])
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += channel_mismatches(value, templates, [*path, i])
    return found


async def journey_public(pool: Executor, journey_id: str) -> JourneyPublic:
    row = await pool.fetchrow(q("read_journey"), journey_id)
    if row is None:
        raise not_found(f"journey {journey_id!r}")
    versions = await pool.fetch(q("list_journey_versions"), journey_id)
    return JourneyPublic(**dict(row), versions=[VersionSummary(**dict(v)) for v in versions])


@router.put(
    "/{journey_id}", responses={201: {"model": JourneyPublic}}, openapi_extra=DEFINITION_BODY
)
async def put_journey(
    journey_id: JourneyIdPath,
    request: Request,
    pool: PoolDep,
    response: Response,
    _: JourneysWriter,
) -> JourneyPublic:
    """Create or replace the draft; it must be valid (templates are checked at publish)."""
    data = await read_definition(request)
    if data.setdefault("id", journey_id) != journey_id:
        raise invalid([field("id", f"must be {journey_id!r} (the id in the path) or absent")])
    definition, problems = parse_definition(data, known_channels=set(KNOWN_CHANNELS))
    if problems or definition is None:
        raise invalid(problem_fields(problems), "the journey definition is invalid")
    name = getattr(definition, "name", None) or journey_id
    async with pool.acquire() as conn, conn.transaction():
        created = await conn.fetchval(q("put_journey_draft"), journey_id, name, data)
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
    templates: dict[str, str] | None = None
    resources: dict[str, set[str]] = {}
    if check_templates:
        templates = {r["name"]: r["channel"] for r in await pool.fetch(q("template_channels"))}
        resources = await known_resources(pool)
    definition, problems = parse_definition(
        data,
        known_channels=set(KNOWN_CHANNELS),
        known_templates=None if templates is None else set(templates),
        **resources,
    )
    if templates is not None and definition is not None:
        problems = [*problems, *channel_mismatches(_dump(definition), templates)]
    return ValidationPublic(
        valid=not problems and definition is not None,
        problems=[ProblemPublic(path=p.path, message=p.message) for p in problems],
    )


async def known_resources(conn: Executor) -> dict[str, set[str]]:
    """Actions, data sources and journeys a definition may name, for publish-time checks."""
    found: dict[str, set[str]] = {
        "known_actions": set(),
        "known_sources": set(),
        "known_journeys": set(),
    }
    keys = {"action": "known_actions", "fetch": "known_sources", "journey": "known_journeys"}
    for row in await conn.fetch(q("resource_names")):
        found[keys[row["kind"]]].add(row["name"])
    return found


def _dump(definition: Any) -> dict[str, Any]:
    """The normalized definition, as workflows load it (`JourneyDefinition.model_validate`)."""
    dumped: dict[str, Any] = definition.model_dump(mode="json", by_alias=True)
    return dumped


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
    definition, version = await publish_draft(pool, journey_id, response)
    # After the commit: a run started now must see this version live.
    await set_audience_schedule(temporal, settings.task_queue, journey_id, version, definition)
    return Published(journey_id=journey_id, version=version)


async def set_audience_schedule(
    temporal: Client,
    task_queue: str,
    journey_id: str,
    version: int,
    definition: JourneyDefinition,
) -> None:
    try:
        await sync_audience_schedule(temporal, task_queue, journey_id, version, definition)
    except RPCError as exc:
        raise ApiError(
            503,
            f"version {version} is live but its audience schedule could not be set "
            f"({exc.message}); publish again to retry",
        ) from None


async def publish_draft(
    pool: asyncpg.Pool, journey_id: str, response: Response
) -> tuple[JourneyDefinition, int]:
    """The published definition and its version, committed and live."""
    async with pool.acquire() as conn, conn.transaction():
        journey = await conn.fetchrow(q("lock_journey"), journey_id)
        if journey is None:
            raise not_found(f"journey {journey_id!r}")
        if journey["draft"] is None:
            raise ApiError(409, f"journey {journey_id!r} has no draft to publish")
        templates = {r["name"]: r["channel"] for r in await conn.fetch(q("template_channels"))}
        definition, problems = parse_definition(
            journey["draft"],
            known_channels=set(KNOWN_CHANNELS),
            known_templates=set(templates),
            **await known_resources(conn),
        )
        if definition is not None:
            problems = [*problems, *channel_mismatches(_dump(definition), templates)]
        if problems or definition is None:
            raise invalid(problem_fields(problems), "the draft cannot be published")
        published = _dump(definition)
        latest = await conn.fetchrow(q("latest_journey_version"), journey_id)
        if latest is not None and latest["definition"] == published:
            version: int = latest["version"]
            response.status_code = 200
            if journey["status"] == "live" and journey["live_version"] == version:
                return definition, version
        else:
            version = (latest["version"] if latest else 0) + 1
            await conn.execute(q("insert_journey_version"), journey_id, version, published)
        await conn.execute(q("set_journey_live"), journey_id, version)
        await conn.execute(q("notify_journeys"), NOTIFY_JOURNEYS, journey_id)
    return definition, version


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
    async with pool.acquire() as conn, conn.transaction():
        journey = await conn.fetchrow(q("lock_journey"), journey_id)
        if journey is None:
            raise not_found(f"journey {journey_id!r}")
        if journey["live_version"] is None:
            raise ApiError(409, f"journey {journey_id!r} was never published")
        if journey["status"] != "stopped":
            await conn.execute(q("set_journey_stopped"), journey_id)
            await conn.execute(q("notify_journeys"), NOTIFY_JOURNEYS, journey_id)
    try:
        await delete_audience_schedule(temporal, journey_id)
    except RPCError as exc:
        raise ApiError(
            503, f"stopped, but the audience schedule could not be deleted ({exc.message})"
        ) from None
    ended = await terminate_running(pool, temporal, journey_id) if terminate else 0
    return Stopped(journey_id=journey_id, status="stopped", terminated=ended)


async def terminate_running(pool: asyncpg.Pool, temporal: Client, journey_id: str) -> int:
    """End every run the entry ledger knows as active; the ledger says it was the stop."""
    rows = await pool.fetch(q("active_entries"), journey_id)
    reason = f"journey {journey_id} stopped with terminate"
    await terminate_journeys(temporal, [r["workflow_id"] for r in rows], reason, concurrency=32)
    done = await pool.execute(q("end_entries_stopped"), [r["run_id"] for r in rows])
    JOURNEY_EXITS.labels(journey_id, "exited").inc(int(done.split()[-1]))  # "UPDATE n"
    await pool.execute(q("close_steps_stopped"), [r["run_id"] for r in rows])
    await pool.execute(q("cancel_deferred_stopped"), [r["workflow_id"] for r in rows])
    return len(rows)


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
    version: Annotated[int, Path(ge=1)],
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
    """Run the draft for a test profile on a virtual clock: the path, messages and requests."""
    row = await pool.fetchrow(q("read_journey"), journey_id)
    if row is None:
        raise not_found(f"journey {journey_id!r}")
    data = row["draft"]
    if body.use == "live" and row["live_version"] is not None:
        data = await pool.fetchval(q("journey_version_definition"), journey_id, row["live_version"])
    definition, problems = parse_definition(data or {}, known_channels=set(KNOWN_CHANNELS))
    if definition is None:
        raise invalid(problem_fields(problems), "the journey cannot be tested")
    return await run_test(pool, definition, body)


def entry_properties(definition: Any, given: dict[str, Any]) -> dict[str, Any]:
    """An audience entry's event names its audience, as the real one does."""
    audience = definition.entry.audience
    return given if audience is None else {"audience_id": audience.id, **given}


async def run_test(pool: asyncpg.Pool, definition: Any, body: TestRunCreate) -> TestRunPublic:
    resources: dict[str, dict[str, Any]] = {"template": {}, "action": {}, "fetch": {}}
    for r in await pool.fetch(q("test_resources")):
        resources[r["kind"]][r["name"]] = r["spec"]
    start = body.start or datetime.now(UTC)
    profile = Profile(**body.profile.model_dump())
    entry = Event(
        event_id="test-entry",
        name=definition.entry.event_name,
        profile_id=profile.profile_id,
        timestamp=start,
        properties=entry_properties(definition, body.entry_properties),
    )
    events = [
        Event(
            event_id=f"test-{i}",
            name=e.name,
            profile_id=profile.profile_id,
            timestamp=add_duration(start, e.after),
            properties=e.properties,
        )
        for i, e in enumerate(body.events)
    ]
    if not entry_matches(definition, entry, profile, start):
        return TestRunPublic(
            entered=False,
            status="not entered",
            reason="the entry filter is false for this profile and event",
            started_at=start,
            ended_at=start,
            path=[],
            steps=[],
            vars={},
            profile=profile.model_dump(mode="json"),
        )
    responder = TestResponder(
        templates=resources["template"],
        actions=resources["action"],
        sources=resources["fetch"],
        responses=body.action_responses,
        failing=set(body.failing_actions),
        journey_name=definition.name,
    )
    run = simulate(
        definition, profile=profile, entry_event=entry, events=events, responder=responder
    )
    return TestRunPublic(
        entered=True,
        status=run.status,
        reason=run.reason,
        started_at=start,
        ended_at=run.ended_at,
        path=[p.model_dump(mode="json") for p in run.state.path],
        steps=run.records,
        vars=run.state.vars,
        profile=run.state.profile.model_dump(mode="json"),
    )
