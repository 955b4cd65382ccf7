"""Placements: the slots offers are decided for (`email-hero`, `app-banner`)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import JourneysWriter, JsonBody, PoolDep, Reader
from api.errors import not_found
from api.routes.named import saved
from api.schemas.common import ERRORS, Page
from api.schemas.decisions import PlacementIdPath, PlacementPublic, PlacementUpdate
from db.sql import q
from services import decision_catalog

router = APIRouter(
    prefix="/placements", tags=["decisioning"], dependencies=[JsonBody], responses=ERRORS
)


@router.put("/{placement_id}", responses={201: {"model": PlacementPublic}})
async def put_placement(
    placement_id: PlacementIdPath,
    body: PlacementUpdate,
    pool: PoolDep,
    response: Response,
    _: JourneysWriter,
) -> PlacementPublic:
    """Create or replace a placement."""
    row, created = await decision_catalog.put_placement(pool, placement_id, body)
    saved(response, created)
    return PlacementPublic.model_validate(dict(row))


@router.get("")
async def list_placements(pool: PoolDep, _: Reader) -> Page[PlacementPublic]:
    """Every placement by id."""
    rows = await pool.fetch(q("list_placements"))
    return Page(items=[PlacementPublic.model_validate(dict(r)) for r in rows], count=len(rows))


@router.get("/{placement_id}")
async def get_placement(placement_id: PlacementIdPath, pool: PoolDep, _: Reader) -> PlacementPublic:
    """A placement."""
    row = await pool.fetchrow(q("read_placement"), placement_id)
    if row is None:
        raise not_found(f"placement {placement_id!r}")
    return PlacementPublic.model_validate(dict(row))


@router.delete("/{placement_id}", status_code=204)
async def delete_placement(
    placement_id: PlacementIdPath, pool: PoolDep, _: JourneysWriter
) -> Response:
    """Delete a placement no offer and no decision names."""
    await decision_catalog.delete_placement(pool, placement_id)
    return Response(status_code=204)
