"""Custom HTTP actions and data sources, declared once and used by journey nodes by name."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import JourneysWriter, JsonBody, PoolDep, Reader
from api.errors import ApiError, not_found
from api.schemas.common import ERRORS, Page, TemplateNamePath
from api.schemas.connectors import ActionPublic, DataSourcePublic
from core.connectors import ActionSpec, DataSourceSpec
from db.sql import q

actions = APIRouter(prefix="/actions", tags=["actions"], dependencies=[JsonBody], responses=ERRORS)
data_sources = APIRouter(
    prefix="/data-sources", tags=["data-sources"], dependencies=[JsonBody], responses=ERRORS
)


@actions.put("/{name}", responses={201: {"model": ActionPublic}})
async def put_action(
    name: TemplateNamePath, body: ActionSpec, pool: PoolDep, response: Response, _: JourneysWriter
) -> ActionPublic:
    """Create or replace an action; workers pick up a new rate limit within a second."""
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(q("put_action"), name, body.model_dump(mode="json"))
        await conn.execute(q("notify_actions"), name)
    assert row is not None
    response.status_code = 201 if row["created"] else 200
    return ActionPublic(
        name=row["name"],
        spec=row["spec"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


@actions.get("")
async def list_actions(pool: PoolDep, _: Reader) -> Page[ActionPublic]:
    """List actions by name."""
    rows = await pool.fetch(q("list_actions"))
    return Page(items=[ActionPublic(**dict(r)) for r in rows], count=len(rows))


@actions.get("/{name}")
async def get_action(name: TemplateNamePath, pool: PoolDep, _: Reader) -> ActionPublic:
    """Read an action."""
    row = await pool.fetchrow(q("read_action"), name)
    if row is None:
        raise not_found(f"action {name!r}")
    return ActionPublic(**dict(row))


@actions.delete("/{name}", status_code=204)
async def delete_action(name: TemplateNamePath, pool: PoolDep, _: JourneysWriter) -> Response:
    """Delete an action no live journey version calls."""
    async with pool.acquire() as conn, conn.transaction():
        users = [r["journey_id"] for r in await conn.fetch(q("live_journeys_using_action"), name)]
        if users:
            raise ApiError(409, f"action {name!r} is used by live journeys: {', '.join(users)}")
        if await conn.fetchval(q("delete_action"), name) is None:
            raise not_found(f"action {name!r}")
        await conn.execute(q("notify_actions"), name)
    return Response(status_code=204)


@data_sources.put("/{name}", responses={201: {"model": DataSourcePublic}})
async def put_data_source(
    name: TemplateNamePath,
    body: DataSourceSpec,
    pool: PoolDep,
    response: Response,
    _: JourneysWriter,
) -> DataSourcePublic:
    """Create or replace a data source read by `fetch` nodes."""
    row = await pool.fetchrow(q("put_data_source"), name, body.model_dump(mode="json"))
    assert row is not None
    response.status_code = 201 if row["created"] else 200
    return DataSourcePublic(
        name=row["name"],
        spec=row["spec"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


@data_sources.get("")
async def list_data_sources(pool: PoolDep, _: Reader) -> Page[DataSourcePublic]:
    """List data sources by name."""
    rows = await pool.fetch(q("list_data_sources"))
    return Page(items=[DataSourcePublic(**dict(r)) for r in rows], count=len(rows))


@data_sources.get("/{name}")
async def get_data_source(name: TemplateNamePath, pool: PoolDep, _: Reader) -> DataSourcePublic:
    """Read a data source."""
    row = await pool.fetchrow(q("read_data_source"), name)
    if row is None:
        raise not_found(f"data source {name!r}")
    return DataSourcePublic(**dict(row))


@data_sources.delete("/{name}", status_code=204)
async def delete_data_source(name: TemplateNamePath, pool: PoolDep, _: JourneysWriter) -> Response:
    """Delete a data source."""
    if await pool.fetchval(q("delete_data_source"), name) is None:
        raise not_found(f"data source {name!r}")
    return Response(status_code=204)
