"""The visual designer's saved work beside a journey's draft: its text and node positions."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import JourneysWriter, JsonBody, PoolDep, Reader
from api.routes.named import saved
from api.schemas.common import ERRORS, JourneyIdPath
from api.schemas.designs import DesignPublic, DesignUpdate
from services import designs

router = APIRouter(prefix="/journeys", tags=["journeys"], dependencies=[JsonBody], responses=ERRORS)


@router.put("/{journey_id}/design", responses={201: {"model": DesignPublic}})
async def put_design(
    journey_id: JourneyIdPath,
    body: DesignUpdate,
    pool: PoolDep,
    response: Response,
    who: JourneysWriter,
) -> DesignPublic:
    """Store the designer's text (valid or not) and node positions; the draft is unchanged."""
    positions = {k: p.model_dump() for k, p in body.positions.items()}
    design = designs.Design(body.source, body.format, positions)
    row, created = await designs.save(pool, journey_id, design, who.name)
    saved(response, created)
    return DesignPublic.model_validate(row)


@router.get("/{journey_id}/design")
async def get_design(journey_id: JourneyIdPath, pool: PoolDep, _: Reader) -> DesignPublic:
    """Read the designer's saved text and positions (404 until it was first saved)."""
    return DesignPublic.model_validate(await designs.read(pool, journey_id))
