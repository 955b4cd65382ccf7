"""Destinations as resources: save (checked whole, every problem with its path), read,
list, delete, the export ledger and an export started now.

Saving also keeps Temporal in step: a stream's workflow is (re)started with the saved
retries, a file or advertising destination with `every` gets its Schedule, and the
workers are told (NOTIFY) so the destination's own rate-limited queue is polled.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import asyncpg
from temporalio.client import Client

from core.connectors import secret_refusal, url_host
from core.destinations import DestinationSpec, route_of
from core.names import destination_run_workflow_id
from db.sql import q
from db.types import Executor
from entities.model import Definition
from journeys.durations import parse_duration
from services import destination_client, entities
from services.errors import FieldProblem, Invalid, NotFound, found

MIN_EVERY = timedelta(minutes=1)


def problems(spec: DestinationSpec) -> list[FieldProblem]:
    """What the schema alone cannot check: the parts a kind needs, the schedule, and each
    secret's binding to the host it would be sent to."""
    found_: list[FieldProblem] = []
    if spec.kind == "file" and spec.file is None:
        found_.append(FieldProblem("file", "a file destination needs `file`"))
    if spec.kind != "file" and spec.http is None:
        found_.append(FieldProblem("http", f"a {spec.kind} destination needs `http`"))
    found_ += _every_problems(spec)
    found_ += _secret_problems(spec)
    return found_


def _every_problems(spec: DestinationSpec) -> list[FieldProblem]:
    if spec.every is None:
        return []
    if spec.kind == "stream_http":
        return [FieldProblem("every", "a stream delivers as changes happen; `every` is not used")]
    try:
        every = schedule_every(spec.every)
    except ValueError as exc:
        return [FieldProblem("every", str(exc))]
    if every < MIN_EVERY:
        return [FieldProblem("every", "at least PT1M")]
    return []


def schedule_every(text: str) -> timedelta:
    period = parse_duration(text)
    if not isinstance(period, timedelta):
        raise ValueError("use weeks, days, hours or minutes (no months or years)")
    return period


def _secret_problems(spec: DestinationSpec) -> list[FieldProblem]:
    out: list[FieldProblem] = []
    if spec.http is not None and spec.http.auth is not None:
        why = secret_refusal(spec.http.auth.secret, url_host(spec.http.url))
        if why:
            out.append(FieldProblem("http.auth.secret", why))
    target = spec.file.target if spec.file is not None else None
    if target is not None and target.type != "local":
        host = target.host() if target.type == "s3" else target.host
        why = secret_refusal(target.secret, host)
        if why:
            out.append(FieldProblem("file.target.secret", why))
    return out


async def save(
    pool: asyncpg.Pool, temporal: Client, base_queue: str, name: str, spec: DestinationSpec
) -> tuple[dict[str, Any], bool]:
    """Create or replace; refused whole when any problem is found (the audience included)."""
    found_ = problems(spec)
    if not await pool.fetchval(q("destination_audience_exists"), spec.audience):
        found_.append(FieldProblem("audience", f"audience {spec.audience!r} not found"))
    found_ += await _entity_problems(pool, spec)
    if found_:
        raise Invalid(found_, "; ".join(f"{p.field}: {p.message}" for p in found_))
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            q("put_destination"), name, spec.kind, spec.model_dump(mode="json")
        )
        await conn.execute(q("notify_destinations"), name)
    assert row is not None
    await _schedule(temporal, base_queue, name, spec)
    saved = dict(row)
    return saved, saved.pop("created")


async def _entity_problems(pool: Executor, spec: DestinationSpec) -> list[FieldProblem]:
    wanted = [(i, f) for i, f in enumerate(spec.fields) if f.startswith("entities.")]
    if not wanted:
        return []
    known = await entities.definitions(pool)
    return [
        FieldProblem(f"fields[{i}]", why)
        for i, field in wanted
        if (why := entity_field_problem(field.removeprefix("entities."), known))
    ]


def entity_field_problem(name: str, known: Mapping[str, Definition]) -> str | None:
    """An `entities.<type>` field needs a type whose records point at profiles."""
    d = known.get(name)
    if d is None:
        return f"entity type {name!r} not found; known: {', '.join(sorted(known)) or 'none'}"
    if not d.profile_relations():
        return f"entity type {name!r} has no relation to the profile"
    return None


async def _schedule(temporal: Client, base_queue: str, name: str, spec: DestinationSpec) -> None:
    if spec.kind == "stream_http":
        await destination_client.start_stream(
            temporal, name, base_queue, route_of(name, spec, base_queue)
        )
    else:
        await destination_client.stop_stream(temporal, name)
    if spec.every is not None and spec.kind != "stream_http":
        await destination_client.ensure_schedule(
            temporal, name, base_queue, schedule_every(spec.every)
        )
    else:
        await destination_client.remove_schedule(temporal, name)


async def read(pool: Executor, name: str) -> asyncpg.Record:
    return found(await pool.fetchrow(q("read_destination"), name), f"destination {name!r}")


async def list_all(pool: Executor) -> list[asyncpg.Record]:
    return list(await pool.fetch(q("list_destinations")))


async def delete(pool: asyncpg.Pool, temporal: Client, name: str) -> None:
    """Stop its stream and Schedule, then forget it with its ledger."""
    await read(pool, name)
    await destination_client.stop_stream(temporal, name)
    await destination_client.remove_schedule(temporal, name)
    async with pool.acquire() as conn, conn.transaction():
        if await conn.fetchval(q("delete_destination"), name) is None:
            raise NotFound(f"destination {name!r}")
        await conn.execute(q("notify_destinations"), name)


async def exports(pool: Executor, name: str, limit: int) -> list[asyncpg.Record]:
    """The ledger, newest first."""
    await read(pool, name)
    return list(await pool.fetch(q("destination_exports"), name, limit))


async def run_now(pool: asyncpg.Pool, temporal: Client, base_queue: str, name: str) -> str:
    """Start a file or advertising export now; a stream has nothing to run."""
    row = await read(pool, name)
    if row["kind"] == "stream_http":
        raise Invalid([FieldProblem("kind", "a stream runs continuously")], "a stream has no runs")
    run = uuid.uuid4().hex[:12]
    run_id = destination_run_workflow_id(name, run)
    await pool.execute(q("destination_open_run"), run_id, name)  # listed from now on
    await destination_client.start_run(temporal, name, run_id, base_queue)
    return run_id
