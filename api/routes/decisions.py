"""Decision policies, real-time propose and the decision report (`/v1/decisions`)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Response

from api.deps import EventsWriter, JourneysWriter, JsonBody, PoolDep, Reader
from api.errors import not_found
from api.routes.named import saved
from api.schemas.common import ERRORS, Page
from api.schemas.decisions import (
    DecisionIdPath,
    DecisionPublic,
    DecisionReport,
    DecisionUpdate,
    OfferReport,
    ProposedOffer,
    ProposeRequest,
    PropositionPublic,
)
from db.sql import q
from services import decision_catalog, decisions
from services.decisions import DecisionRequest

router = APIRouter(
    prefix="/decisions", tags=["decisioning"], dependencies=[JsonBody], responses=ERRORS
)


def _public(row: Any) -> DecisionPublic:
    return DecisionPublic.model_validate(
        {
            **row["definition"],
            "decision_id": row["policy_id"],
            "created_at": row["created_at"],
            "updated_at": row["updated_at"],
        }
    )


@router.put("/{decision_id}", responses={201: {"model": DecisionPublic}})
async def put_decision(
    decision_id: DecisionIdPath,
    body: DecisionUpdate,
    pool: PoolDep,
    response: Response,
    _: JourneysWriter,
) -> DecisionPublic:
    """Create or replace a decision policy; its placements and offers must exist."""
    row, created = await decision_catalog.put_policy(pool, decision_id, body)
    saved(response, created)
    return _public(row)


@router.get("")
async def list_decisions(pool: PoolDep, _: Reader) -> Page[DecisionPublic]:
    """Every decision policy by id."""
    rows = await pool.fetch(q("list_decision_policies"))
    return Page(items=[_public(r) for r in rows], count=len(rows))


@router.get("/{decision_id}")
async def get_decision(decision_id: DecisionIdPath, pool: PoolDep, _: Reader) -> DecisionPublic:
    """A decision policy."""
    row = await pool.fetchrow(q("read_decision_policy"), decision_id)
    if row is None:
        raise not_found(f"decision {decision_id!r}")
    return _public(row)


@router.delete("/{decision_id}", status_code=204)
async def delete_decision(
    decision_id: DecisionIdPath, pool: PoolDep, _: JourneysWriter
) -> Response:
    """Delete a decision policy (its propositions stay for the record)."""
    await decision_catalog.delete_policy(pool, decision_id)
    return Response(status_code=204)


@router.post("/{decision_id}/propose")
async def propose(
    decision_id: DecisionIdPath, body: ProposeRequest, pool: PoolDep, _: EventsWriter
) -> PropositionPublic:
    """The offers this profile gets now, with their content per placement; recorded."""
    request = DecisionRequest(
        decision_id, body.profile_id, body.request_id, body.event, body.context
    )
    found = await decisions.propose(pool, request, datetime.now(UTC))
    return PropositionPublic(
        proposition_id=found.proposition_id,
        decision_id=found.policy_id,
        request_id=found.request_id,
        profile_id=found.profile_id,
        offers=[ProposedOffer(**vars(o)) for o in found.offers],  # not asdict: no deep copies
        fallback=found.fallback,
        cap_hits=found.cap_hits,
        created_at=found.created_at,
    )


@router.get("/{decision_id}/report")
async def decision_report(decision_id: DecisionIdPath, pool: PoolDep, _: Reader) -> DecisionReport:
    """Per offer: propositions, impressions, clicks, conversions, cap hits, bandit estimate."""
    found = await decisions.report(pool, decision_id)
    return DecisionReport(
        decision_id=decision_id,
        propositions=found.propositions,
        fallbacks=found.fallbacks,
        fallback_rate=found.fallback_rate,
        offers=[OfferReport(**asdict(o)) for o in found.offers],
    )
