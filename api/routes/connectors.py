"""Custom HTTP actions and data sources, declared once and used by journey nodes by name."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import JourneysWriter, JsonBody, PoolDep
from api.routes.named import Docs, add_read_routes, saved
from api.schemas.common import ERRORS, TemplateNamePath
from api.schemas.connectors import ActionPublic, DataSourcePublic
from core.connectors import ActionSpec, DataSourceSpec
from services import connectors
from services.definitions import ACTION, DATA_SOURCE

actions = APIRouter(prefix="/actions", tags=["actions"], dependencies=[JsonBody], responses=ERRORS)
data_sources = APIRouter(
    prefix="/data-sources", tags=["data-sources"], dependencies=[JsonBody], responses=ERRORS
)


@actions.put("/{name}", responses={201: {"model": ActionPublic}})
async def put_action(
    name: TemplateNamePath, body: ActionSpec, pool: PoolDep, response: Response, _: JourneysWriter
) -> ActionPublic:
    """Create or replace an action; workers pick up a new rate limit within a second."""
    row, created = await connectors.save(pool, ACTION, name, body)
    saved(response, created)
    return ActionPublic.model_validate(row)


add_read_routes(
    actions,
    ACTION,
    ActionPublic,
    Docs(
        "action",
        "actions",
        list="List actions by name.",
        read="Read an action.",
        delete="Delete an action no live journey version calls.",
    ),
)


@data_sources.put("/{name}", responses={201: {"model": DataSourcePublic}})
async def put_data_source(
    name: TemplateNamePath,
    body: DataSourceSpec,
    pool: PoolDep,
    response: Response,
    _: JourneysWriter,
) -> DataSourcePublic:
    """Create or replace a data source read by `fetch` nodes."""
    row, created = await connectors.save(pool, DATA_SOURCE, name, body)
    saved(response, created)
    return DataSourcePublic.model_validate(row)


add_read_routes(
    data_sources,
    DATA_SOURCE,
    DataSourcePublic,
    Docs(
        "data_source",
        "data_sources",
        list="List data sources by name.",
        read="Read a data source.",
        delete="Delete a data source.",
    ),
)
