"""Profiles: who journeys are about. Writes replace (PUT) or merge (PATCH)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Query, Response
from temporalio.client import Client

from api.deps import JsonBody, PoolDep, ProfilesWriter, Reader, TemporalDep
from api.errors import not_found
from api.schemas.common import ERRORS, Page, ProfileIdPath
from api.schemas.profiles import (
    MembershipPublic,
    ProfileJourneyPublic,
    ProfileMatchPublic,
    ProfilePatch,
    ProfilePublic,
    ProfileUpdate,
)
from core.names import STATE_QUERY
from db.sql import q
from services import profile_search

router = APIRouter(prefix="/profiles", tags=["profiles"], dependencies=[JsonBody], responses=ERRORS)

STATE_QUERY_TIMEOUT = timedelta(seconds=5)


def _answer(row: asyncpg.Record, response: Response) -> ProfilePublic:
    response.status_code = 201 if row["created"] else 200
    return ProfilePublic(**{k: v for k, v in row.items() if k != "created"})


@router.put("/{profile_id}", responses={201: {"model": ProfilePublic}})
async def put_profile(
    profile_id: ProfileIdPath,
    body: ProfileUpdate,
    pool: PoolDep,
    response: Response,
    _: ProfilesWriter,
) -> ProfilePublic:
    """Create or replace a profile."""
    row = await pool.fetchrow(
        q("put_profile"), profile_id, body.email, body.phone, body.timezone, body.attributes
    )
    assert row is not None
    return _answer(row, response)


@router.patch("/{profile_id}", responses={201: {"model": ProfilePublic}})
async def patch_profile(
    profile_id: ProfileIdPath,
    body: ProfilePatch,
    pool: PoolDep,
    response: Response,
    _: ProfilesWriter,
) -> ProfilePublic:
    """Update the given fields; attributes merge, a null attribute is removed."""
    contact = body.model_dump(include={"email", "phone", "timezone"}, exclude_unset=True)
    attrs = {k: v for k, v in body.attributes.items() if v is not None}
    removed = [k for k, v in body.attributes.items() if v is None]
    row = await pool.fetchrow(q("patch_profile"), profile_id, contact, attrs, removed)
    assert row is not None
    return _answer(row, response)


@router.get("")
async def find_profiles(
    pool: PoolDep,
    _: Reader,
    q_: Annotated[
        str,
        Query(
            alias="q",
            min_length=1,
            max_length=320,
            description="A profile id, an id merged into one (alias), an email or a phone",
            examples=["ada@example.com"],
        ),
    ],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Page[ProfileMatchPublic]:
    """The profiles a text names (the console's profile search): by id first, then alias,
    email (any case) and phone (E.164, separators allowed)."""
    found = await profile_search.find(pool, q_, limit)
    items = [ProfileMatchPublic(**vars(m)) for m in found]
    return Page(items=items, count=len(items))


@router.get("/{profile_id}/audiences")
async def get_profile_audiences(
    profile_id: ProfileIdPath, pool: PoolDep, _: Reader
) -> Page[MembershipPublic]:
    """The audiences the profile is in now, with when it entered each."""
    found = await profile_search.memberships(pool, profile_id)
    items = [MembershipPublic(**vars(m)) for m in found]
    return Page(items=items, count=len(items))


@router.get("/{profile_id}")
async def get_profile(profile_id: ProfileIdPath, pool: PoolDep, _: Reader) -> ProfilePublic:
    """Read a profile."""
    row = await pool.fetchrow(q("read_profile"), profile_id)
    if row is None:
        raise not_found(f"profile {profile_id!r}")
    return ProfilePublic(**dict(row))


@router.get("/{profile_id}/journeys")
async def get_profile_journeys(
    profile_id: ProfileIdPath,
    pool: PoolDep,
    temporal: TemporalDep,
    _: Reader,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Page[ProfileJourneyPublic]:
    """A profile's journey runs, newest first, with the current node of active ones."""
    rows = await pool.fetch(q("profile_entries"), profile_id, limit)
    entries = [ProfileJourneyPublic(**dict(r)) for r in rows]
    active = [e for e in entries if e.status == "active"]
    await asyncio.gather(*(_fill_state(temporal, e) for e in active))
    return Page(items=entries, count=len(entries))


async def _fill_state(temporal: Client, entry: ProfileJourneyPublic) -> None:
    """Ask the workflow where it is; a failed query is reported, not raised."""
    try:
        handle = temporal.get_workflow_handle(entry.workflow_id)
        state = await handle.query(STATE_QUERY, rpc_timeout=STATE_QUERY_TIMEOUT)
    except Exception as exc:
        entry.state_error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return
    entry.current_node = _node(state)


def _node(state: Any) -> str | None:
    node = state.get("node") if isinstance(state, dict) else getattr(state, "node", None)
    return None if node is None else str(node)
