"""Offers: the catalog decisions choose from, with eligibility, caps and content."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from api.deps import JourneysWriter, JsonBody, PoolDep, Reader
from api.errors import not_found
from api.routes.named import saved
from api.schemas.common import ERRORS, Page
from api.schemas.decisions import OfferIdPath, OfferPublic, OfferUpdate
from db.sql import q
from services import decision_catalog

router = APIRouter(
    prefix="/offers", tags=["decisioning"], dependencies=[JsonBody], responses=ERRORS
)


def _public(row: Any) -> OfferPublic:
    return OfferPublic.model_validate(
        {
            **row["definition"],
            "offer_id": row["offer_id"],
            "created_at": row["created_at"],
            "updated_at": row["updated_at"],
        }
    )


@router.put("/{offer_id}", responses={201: {"model": OfferPublic}})
async def put_offer(
    offer_id: OfferIdPath, body: OfferUpdate, pool: PoolDep, response: Response, _: JourneysWriter
) -> OfferPublic:
    """Create or replace an offer; its placements and audience must exist."""
    row, created = await decision_catalog.put_offer(pool, offer_id, body)
    saved(response, created)
    return _public(row)


@router.get("")
async def list_offers(pool: PoolDep, _: Reader) -> Page[OfferPublic]:
    """Every offer by id."""
    rows = await pool.fetch(q("list_offers"))
    return Page(items=[_public(r) for r in rows], count=len(rows))


@router.get("/{offer_id}")
async def get_offer(offer_id: OfferIdPath, pool: PoolDep, _: Reader) -> OfferPublic:
    """An offer."""
    row = await pool.fetchrow(q("read_offer"), offer_id)
    if row is None:
        raise not_found(f"offer {offer_id!r}")
    return _public(row)


@router.delete("/{offer_id}", status_code=204)
async def delete_offer(offer_id: OfferIdPath, pool: PoolDep, _: JourneysWriter) -> Response:
    """Delete an offer no decision names."""
    await decision_catalog.delete_offer(pool, offer_id)
    return Response(status_code=204)
