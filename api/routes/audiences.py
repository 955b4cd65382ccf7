"""Audiences: rule definitions whose membership is materialized and kept current.

Saving validates the rule, records what it depends on (for the triggers), evaluates the
membership in full and, for time-relative rules, (re)creates the refresh schedule.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Query, Response
from temporalio.client import Client

from activities.audiences import estimate, evaluate_in_transaction, save_dependencies
from api.deps import JourneysWriter, JsonBody, PoolDep, Reader, SettingsDep, TemporalDep
from api.errors import ApiError, field, invalid, not_found
from api.schemas.audiences import (
    AudienceCreate,
    AudienceEstimate,
    AudienceIdPath,
    AudiencePublic,
    AudienceUpdate,
    EstimatePublic,
    EvaluationPublic,
    MemberPublic,
    MembersPage,
)
from api.schemas.common import ERRORS, Page
from audiences.rules import Rule, dump_rule, parse_rule, time_relative
from core.audience_refresh_schedule import ensure_refresh_schedule, remove_refresh_schedule
from core.settings import Settings
from db.sql import q

router = APIRouter(
    prefix="/audiences", tags=["audiences"], dependencies=[JsonBody], responses=ERRORS
)

SAMPLE_SIZE = 10


def _rule(definition: Any) -> Rule:
    rule, problems = parse_rule(definition)
    if rule is None:
        raise invalid([field(p.path, p.message) for p in problems], "the definition is invalid")
    return rule


def _public(row: asyncpg.Record, sample: list[str] | None = None, **extra: Any) -> AudiencePublic:
    return AudiencePublic(**dict(row), sample=sample or [], **extra)


async def _read(pool: asyncpg.Pool, audience_id: str, **extra: Any) -> AudiencePublic:
    row = await pool.fetchrow(q("read_audience"), audience_id)
    if row is None:
        raise not_found(f"audience {audience_id!r}")
    rows = await pool.fetch(q("audience_sample"), audience_id, SAMPLE_SIZE)
    sample = [r["profile_id"] for r in rows]
    return _public(row, sample, **extra)


async def _after_save(
    pool: asyncpg.Pool, temporal: Client, settings: Settings, audience_id: str, rule: Rule
) -> AudiencePublic:
    """Evaluate in full, then make the schedule match the rule."""
    change = await evaluate_in_transaction(pool, audience_id, rule, datetime.now(UTC))
    try:
        if time_relative(rule):
            every = timedelta(seconds=settings.audience_refresh_seconds)
            await ensure_refresh_schedule(temporal, audience_id, settings.task_queue, every)
        else:
            await remove_refresh_schedule(temporal, audience_id)
    except Exception as exc:  # Temporal unreachable: the audience is saved, say what is missing
        raise ApiError(
            503, f"audience saved and evaluated, but its refresh schedule failed: {exc}"
        ) from exc
    evaluation = EvaluationPublic(entered=change.entered, exited=change.exited)
    return await _read(pool, audience_id, evaluation=evaluation)


@router.post("", status_code=201)
async def create_audience(
    body: AudienceCreate,
    pool: PoolDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    _: JourneysWriter,
) -> AudiencePublic:
    """Create an audience and evaluate its membership."""
    rule = _rule(body.definition)
    async with pool.acquire() as conn, conn.transaction():
        created = await conn.fetchval(
            q("insert_audience"),
            body.audience_id,
            body.name,
            body.description,
            dump_rule(rule),
            time_relative(rule),
        )
        if created is None:
            raise ApiError(409, f"audience {body.audience_id!r} exists; PUT to change it")
        await save_dependencies(conn, body.audience_id, rule)
    # Committed first, so profiles written meanwhile are queued for recheck by the triggers.
    return await _after_save(pool, temporal, settings, body.audience_id, rule)


@router.put("/{audience_id}")
async def update_audience(
    audience_id: AudienceIdPath,
    body: AudienceUpdate,
    pool: PoolDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    _: JourneysWriter,
) -> AudiencePublic:
    """Replace an audience's definition; members who no longer match leave (with events)."""
    rule = _rule(body.definition)
    async with pool.acquire() as conn, conn.transaction():
        found = await conn.fetchval(
            q("update_audience"),
            audience_id,
            body.name,
            body.description,
            dump_rule(rule),
            time_relative(rule),
        )
        if found is None:
            raise not_found(f"audience {audience_id!r}")
        await save_dependencies(conn, audience_id, rule)
    return await _after_save(pool, temporal, settings, audience_id, rule)


@router.post("/estimate")
async def estimate_audience(body: AudienceEstimate, pool: PoolDep, _: Reader) -> EstimatePublic:
    """How many profiles a definition matches now, before saving it."""
    rule = _rule(body.definition)
    now = datetime.now(UTC)
    count = await estimate(pool, rule, now)
    return EstimatePublic(count=count, time_relative=time_relative(rule), evaluated_at=now)


@router.get("")
async def list_audiences(pool: PoolDep, _: Reader) -> Page[AudiencePublic]:
    """Every audience with its size."""
    rows = await pool.fetch(q("list_audiences"))
    return Page(items=[_public(r) for r in rows], count=len(rows))


@router.get("/{audience_id}")
async def get_audience(audience_id: AudienceIdPath, pool: PoolDep, _: Reader) -> AudiencePublic:
    """An audience with its size and a sample of members."""
    return await _read(pool, audience_id)


@router.get("/{audience_id}/members")
async def list_members(
    audience_id: AudienceIdPath,
    pool: PoolDep,
    _: Reader,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    after: Annotated[str, Query(max_length=200, description="`next` of the previous page")] = "",
) -> MembersPage:
    """Members by profile id, a page at a time (keyset: stable while members change)."""
    if await pool.fetchval(q("read_audience"), audience_id) is None:
        raise not_found(f"audience {audience_id!r}")
    rows = await pool.fetch(q("audience_members_page"), audience_id, after, limit)
    items = [MemberPublic(**dict(r)) for r in rows]
    return MembersPage(items=items, next=items[-1].profile_id if len(items) == limit else None)


@router.delete("/{audience_id}", status_code=204)
async def delete_audience(
    audience_id: AudienceIdPath, pool: PoolDep, temporal: TemporalDep, _: JourneysWriter
) -> Response:
    """Delete an audience, its members and change log, and its refresh schedule."""
    if await pool.fetchval(q("delete_audience"), audience_id) is None:
        raise not_found(f"audience {audience_id!r}")
    await remove_refresh_schedule(temporal, audience_id)
    return Response(status_code=204)
