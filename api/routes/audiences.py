"""Audiences: rule definitions whose membership is materialized and kept current.

Saving validates the rule, records what it depends on (for the triggers), evaluates the
membership in full and, for time-relative rules, (re)creates the refresh schedule.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Query, Response

from api.deps import JourneysWriter, JsonBody, PoolDep, Reader, SettingsDep, TemporalDep
from api.errors import field, invalid, not_found
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
from audiences.rules import Rule, parse_rule, time_relative
from core.settings import Settings
from db.sql import q
from services import audiences
from services.audiences import MembershipChange, RefreshPlan

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


def _refresh(settings: Settings) -> RefreshPlan:
    return RefreshPlan.of(settings)


async def _saved(pool: asyncpg.Pool, audience_id: str, change: MembershipChange) -> AudiencePublic:
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
    about = (body.name, body.description)
    change = await audiences.save(
        pool, temporal, _refresh(settings), body.audience_id, about, rule, new=True
    )
    return await _saved(pool, body.audience_id, change)


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
    about = (body.name, body.description)
    change = await audiences.save(
        pool, temporal, _refresh(settings), audience_id, about, rule, new=False
    )
    return await _saved(pool, audience_id, change)


@router.post("/estimate")
async def estimate_audience(body: AudienceEstimate, pool: PoolDep, _: Reader) -> EstimatePublic:
    """How many profiles a definition matches now, before saving it."""
    rule = _rule(body.definition)
    now = datetime.now(UTC)
    count = await audiences.estimate(pool, rule, now)
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
    await audiences.delete(pool, temporal, audience_id)
    return Response(status_code=204)
