"""Consent and send rules: a profile's subscriptions, the suppression list, frequency caps.

The send activity applies them (activities/rules.py); these endpoints only manage them.
"""

from __future__ import annotations

from typing import Annotated

import asyncpg
import isodate
from fastapi import APIRouter, Path, Query, Response

from api.deps import JourneysWriter, JsonBody, PoolDep, ProfilesWriter, Reader
from api.errors import field, invalid, not_found
from api.schemas.common import ERRORS, Page, ProfileIdPath
from api.schemas.consent import (
    FrequencyCapPublic,
    FrequencyCapUpdate,
    SubscriptionPublic,
    SubscriptionUpdate,
    SuppressionCreate,
    SuppressionPublic,
    known_channel,
    window_delta,
)
from db.sql import q

subscriptions = APIRouter(
    prefix="/profiles", tags=["subscriptions"], dependencies=[JsonBody], responses=ERRORS
)
suppressions = APIRouter(
    prefix="/suppressions", tags=["suppressions"], dependencies=[JsonBody], responses=ERRORS
)
frequency_caps = APIRouter(
    prefix="/frequency-caps", tags=["frequency-caps"], dependencies=[JsonBody], responses=ERRORS
)

ChannelPath = Annotated[str, Path(min_length=1, max_length=64, description="Channel")]


@subscriptions.put("/{profile_id}/subscriptions")
async def put_subscriptions(
    profile_id: ProfileIdPath,
    body: list[SubscriptionUpdate],
    pool: PoolDep,
    _: ProfilesWriter,
) -> Page[SubscriptionPublic]:
    """Set the given subscriptions (others stay); answers all of the profile's."""
    async with pool.acquire() as conn, conn.transaction():
        for sub in body:
            await conn.execute(
                q("set_subscription"), profile_id, sub.channel, sub.topic, sub.status
            )
        rows = await conn.fetch(q("list_subscriptions"), profile_id)
    return _subscriptions(rows)


@subscriptions.get("/{profile_id}/subscriptions")
async def get_subscriptions(
    profile_id: ProfileIdPath, pool: PoolDep, _: Reader
) -> Page[SubscriptionPublic]:
    """A profile's subscriptions; a channel or topic not listed is subscribed."""
    return _subscriptions(await pool.fetch(q("list_subscriptions"), profile_id))


def _subscriptions(rows: list[asyncpg.Record]) -> Page[SubscriptionPublic]:
    return Page(items=[SubscriptionPublic(**dict(r)) for r in rows], count=len(rows))


@suppressions.post("", status_code=201, responses={200: {"model": SuppressionPublic}})
async def add_suppression(
    body: SuppressionCreate, pool: PoolDep, response: Response, _: ProfilesWriter
) -> SuppressionPublic:
    """Suppress an address on a channel: nothing is sent to it, transactional included."""
    row = await pool.fetchrow(
        q("put_suppression"), body.channel, body.address, body.reason, body.note
    )
    assert row is not None
    response.status_code = 201 if row["created"] else 200
    return SuppressionPublic(**{k: v for k, v in row.items() if k != "created"})


@suppressions.get("")
async def list_suppressions(
    pool: PoolDep,
    _: Reader,
    channel: str | None = None,
    address: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Page[SuppressionPublic]:
    """List suppressed addresses, filtered by channel and address."""
    rows = await pool.fetch(q("list_suppressions"), channel, address, limit)
    return Page(items=[SuppressionPublic(**dict(r)) for r in rows], count=len(rows))


@suppressions.delete("/{channel}/{address}", status_code=204)
async def delete_suppression(
    channel: ChannelPath, address: str, pool: PoolDep, _: ProfilesWriter
) -> Response:
    """Lift a suppression."""
    if await pool.fetchval(q("delete_suppression"), channel, address) is None:
        raise not_found(f"suppression of {address!r} on {channel}")
    return Response(status_code=204)


def _cap(row: asyncpg.Record) -> FrequencyCapPublic:
    return FrequencyCapPublic(**dict(row), window=isodate.duration_isoformat(row["period"]))


@frequency_caps.put("/{channel}", responses={201: {"model": FrequencyCapPublic}})
async def put_frequency_cap(
    channel: ChannelPath,
    body: FrequencyCapUpdate,
    pool: PoolDep,
    response: Response,
    _: JourneysWriter,
) -> FrequencyCapPublic:
    """Cap the marketing messages a profile gets on a channel within a window."""
    try:
        known_channel(channel)
    except ValueError as exc:
        raise invalid([field("channel", str(exc))]) from None
    row = await pool.fetchrow(
        q("put_frequency_cap"), channel, body.max_messages, window_delta(body.window)
    )
    assert row is not None
    response.status_code = 201 if row["created"] else 200
    return _cap(row)


@frequency_caps.get("")
async def list_frequency_caps(pool: PoolDep, _: Reader) -> Page[FrequencyCapPublic]:
    """Every channel's cap; a channel not listed is not capped."""
    rows = await pool.fetch(q("list_frequency_caps"))
    return Page(items=[_cap(r) for r in rows], count=len(rows))


@frequency_caps.get("/{channel}")
async def get_frequency_cap(channel: ChannelPath, pool: PoolDep, _: Reader) -> FrequencyCapPublic:
    """Read a channel's cap."""
    row = await pool.fetchrow(q("read_frequency_cap"), channel)
    if row is None:
        raise not_found(f"frequency cap of {channel!r}")
    return _cap(row)


@frequency_caps.delete("/{channel}", status_code=204)
async def delete_frequency_cap(channel: ChannelPath, pool: PoolDep, _: JourneysWriter) -> Response:
    """Remove a channel's cap."""
    if await pool.fetchval(q("delete_frequency_cap"), channel) is None:
        raise not_found(f"frequency cap of {channel!r}")
    return Response(status_code=204)
