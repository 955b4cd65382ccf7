"""Publishing and stopping journeys: the versions in Postgres and their Temporal side.

A published version is immutable (architecture decision 1); publishing the same definition
again makes no new version. Postgres commits first, then Temporal is told: a failure
there says what is already live, and repeating the call repairs it.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg
from temporalio.client import Client
from temporalio.service import RPCError

from core.metrics import JOURNEY_EXITS
from core.names import KNOWN_CHANNELS, NOTIFY_JOURNEYS
from db.sql import q
from db.types import Executor
from entities import selection
from journeys.model import JourneyDefinition
from journeys.per_entity import parsed_per
from journeys.problems import Problem, format_path
from journeys.validate import parse_definition
from services.entities import definitions
from services.errors import Conflict, FieldProblem, Invalid, Unavailable, found
from services.journey_approvals import may_publish
from services.journey_client import terminate_journeys
from services.journey_schedules import delete_audience_schedule, sync_audience_schedule


@dataclass(frozen=True)
class Publication:
    """The live definition and its version; `new` is False when it was published already."""

    definition: JourneyDefinition
    version: int
    new: bool


def field_problems(problems: list[Problem]) -> list[FieldProblem]:
    return [FieldProblem(p.path, p.message) for p in problems]


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


async def known_resources(conn: Executor) -> dict[str, set[str]]:
    """Actions, data sources, journeys and decision policies a definition may name, for
    publish-time checks."""
    found: dict[str, set[str]] = {
        "known_actions": set(),
        "known_sources": set(),
        "known_journeys": set(),
        "known_decisions": set(),
    }
    keys = {
        "action": "known_actions",
        "fetch": "known_sources",
        "journey": "known_journeys",
        "decision": "known_decisions",
    }
    for row in await conn.fetch(q("resource_names")):
        found[keys[row["kind"]]].add(row["name"])
    return found


async def template_channels(conn: Executor) -> dict[str, str]:
    """Each template's channel, by template name."""
    return {r["name"]: r["channel"] for r in await conn.fetch(q("template_channels"))}


async def parsed(
    data: Mapping[str, Any], **known: set[str]
) -> tuple[JourneyDefinition | None, list[Problem]]:
    """`parse_definition` with the channels Wayline has, in a thread: validation costs CPU
    (about half a millisecond an expression), and on the event loop every event being
    ingested meanwhile would wait behind it."""
    check = functools.partial(parse_definition, data, known_channels=set(KNOWN_CHANNELS))
    return await asyncio.to_thread(check, **known)


async def checked(
    conn: Executor, data: dict[str, Any]
) -> tuple[JourneyDefinition | None, list[Problem]]:
    """The definition and every problem publish would find, templates and resources included."""
    templates = await template_channels(conn)
    definition, problems = await parsed(
        data, known_templates=set(templates), **await known_resources(conn)
    )
    if definition is not None:
        problems = [*problems, *channel_mismatches(dump(definition), templates)]
    return definition, [*problems, *await entity_problems(conn, data)]


async def validation(
    conn: Executor, data: dict[str, Any], check_templates: bool
) -> tuple[JourneyDefinition | None, list[Problem]]:
    """What `POST /v1/journeys/validate` answers: the language's problems and those of each
    `per` against the entity types, plus (with `check_templates`) every check of publish."""
    if check_templates:
        return await checked(conn, data)
    definition, problems = await parsed(data)
    return definition, [*problems, *await entity_problems(conn, data)]


async def entity_problems(conn: Executor, data: Mapping[str, Any]) -> list[Problem]:
    """Each message node's `per` against the entity types, its paths under the node
    (`nodes.remind.per.where[0].field`); a `per` the model refuses is reported already."""
    nodes = data.get("nodes")
    if not isinstance(nodes, dict):
        return []
    pers = {
        node_id: per
        for node_id, node in nodes.items()
        if isinstance(node, dict)
        and node.get("type") == "message"
        and (per := parsed_per(node.get("per"))) is not None
    }
    if not pers:
        return []
    known = await definitions(conn)
    root = "nodes.{}.per".format
    return [p for n, per in pers.items() for p in selection.problems(per, known, root(n))]


def dump(definition: Any) -> dict[str, Any]:
    """The normalized definition, as workflows load it (`JourneyDefinition.model_validate`)."""
    dumped: dict[str, Any] = definition.model_dump(mode="json", by_alias=True)
    return dumped


async def publish(
    pool: asyncpg.Pool, temporal: Client, task_queue: str, journey_id: str
) -> Publication:
    """Publish the draft and make it live, then set its audience schedule."""
    done = await publish_draft(pool, journey_id)
    # After the commit: a run started now must see this version live.
    try:
        await sync_audience_schedule(
            temporal, task_queue, journey_id, done.version, done.definition
        )
    except RPCError as exc:
        raise Unavailable(
            f"version {done.version} is live but its audience schedule could not be set "
            f"({exc.message}); publish again to retry"
        ) from None
    return done


async def publish_draft(pool: asyncpg.Pool, journey_id: str) -> Publication:
    """The published definition and its version, committed and live; a draft that requires
    approval is published only once approved."""
    async with pool.acquire() as conn, conn.transaction():
        journey = await _locked(conn, journey_id)
        if journey["draft"] is None:
            raise Conflict(f"journey {journey_id!r} has no draft to publish")
        may_publish(journey_id, journey)
        definition = await _publishable(conn, journey["draft"])
        published = dump(definition)
        latest = await conn.fetchrow(q("latest_journey_version"), journey_id)
        if latest is not None and latest["definition"] == published:
            done = Publication(definition, latest["version"], new=False)
            if journey["status"] == "live" and journey["live_version"] == done.version:
                return done
        else:
            done = Publication(definition, (latest["version"] if latest else 0) + 1, new=True)
            await conn.execute(q("insert_journey_version"), journey_id, done.version, published)
        await conn.execute(q("set_journey_live"), journey_id, done.version)
        await conn.execute(q("notify_journeys"), NOTIFY_JOURNEYS, journey_id)
    return done


async def _locked(conn: Executor, journey_id: str) -> asyncpg.Record:
    """The journey's row, locked until the transaction ends (publish and stop serialize)."""
    return found(await conn.fetchrow(q("lock_journey"), journey_id), f"journey {journey_id!r}")


async def _publishable(conn: Executor, draft: dict[str, Any]) -> JourneyDefinition:
    definition, problems = await checked(conn, draft)
    if problems or definition is None:
        raise Invalid(field_problems(problems), "the draft cannot be published")
    return definition


async def stop(pool: asyncpg.Pool, temporal: Client, journey_id: str, terminate: bool) -> int:
    """Stop new entries and the audience schedule; with `terminate`, end the running ones.

    Returns how many running journeys were ended."""
    async with pool.acquire() as conn, conn.transaction():
        journey = await _locked(conn, journey_id)
        if journey["live_version"] is None:
            raise Conflict(f"journey {journey_id!r} was never published")
        if journey["status"] != "stopped":
            await conn.execute(q("set_journey_stopped"), journey_id)
            await conn.execute(q("notify_journeys"), NOTIFY_JOURNEYS, journey_id)
    try:
        await delete_audience_schedule(temporal, journey_id)
    except RPCError as exc:
        raise Unavailable(
            f"stopped, but the audience schedule could not be deleted ({exc.message})"
        ) from None
    return await terminate_running(pool, temporal, journey_id) if terminate else 0


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
