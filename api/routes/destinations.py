"""Destinations: audiences exported to external systems, each with its own queue and ledger."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import JourneysWriter, JsonBody, PoolDep, Reader, SettingsDep, TemporalDep
from api.routes.named import saved
from api.schemas.common import ERRORS, Page, TemplateNamePath
from api.schemas.destinations import DestinationPublic, ExportPublic, RunStarted
from core.destinations import DestinationSpec
from services import destinations

router = APIRouter(
    prefix="/destinations", tags=["destinations"], dependencies=[JsonBody], responses=ERRORS
)


@router.put("/{name}", responses={201: {"model": DestinationPublic}})
async def put_destination(
    name: TemplateNamePath,
    body: DestinationSpec,
    pool: PoolDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    response: Response,
    _: JourneysWriter,
) -> DestinationPublic:
    """Create or replace a destination; a stream starts (or restarts) from its cursor."""
    row, created = await destinations.save(pool, temporal, settings.task_queue, name, body)
    saved(response, created)
    return DestinationPublic.model_validate(row)


@router.get("")
async def list_destinations(pool: PoolDep, _: Reader) -> Page[DestinationPublic]:
    """Every destination, by name."""
    rows = [DestinationPublic.model_validate(dict(r)) for r in await destinations.list_all(pool)]
    return Page(items=rows, count=len(rows))


@router.get("/{name}")
async def get_destination(name: TemplateNamePath, pool: PoolDep, _: Reader) -> DestinationPublic:
    """Read a destination."""
    return DestinationPublic.model_validate(dict(await destinations.read(pool, name)))


@router.delete("/{name}", status_code=204)
async def delete_destination(
    name: TemplateNamePath, pool: PoolDep, temporal: TemporalDep, _: JourneysWriter
) -> Response:
    """Delete a destination: its stream and Schedule stop, its ledger goes with it."""
    await destinations.delete(pool, temporal, name)
    return Response(status_code=204)


@router.get("/{name}/exports")
async def list_exports(
    name: TemplateNamePath,
    pool: PoolDep,
    _: Reader,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Page[ExportPublic]:
    """The export ledger, newest first: each run and batch with its rows, bytes and status."""
    rows = [
        ExportPublic.model_validate(dict(r)) for r in await destinations.exports(pool, name, limit)
    ]
    return Page(items=rows, count=len(rows))


@router.post("/{name}/run", status_code=202)
async def run_destination(
    name: TemplateNamePath,
    pool: PoolDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    _: JourneysWriter,
) -> RunStarted:
    """Export now (a file or an advertising upload); the run appears in the ledger."""
    return RunStarted(run_id=await destinations.run_now(pool, temporal, settings.task_queue, name))
