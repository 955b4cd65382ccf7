"""Placements, offers, decision policies, propositions and the decision report."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import ID_PATTERN, Body
from decisions.model import OfferSpec, PlacementSpec, PolicySpec

PlacementIdPath = Annotated[str, Path(pattern=ID_PATTERN, description="Placement id (slot)")]
OfferIdPath = Annotated[str, Path(pattern=ID_PATTERN, description="Offer id")]
DecisionIdPath = Annotated[str, Path(pattern=ID_PATTERN, description="Decision policy id")]


class PlacementUpdate(PlacementSpec):
    """A slot such as `email-hero` or `app-banner`."""


# An answer is built from a stored row: fields the row carries beyond the model are dropped.
ANSWER = ConfigDict(extra="ignore")


class PlacementPublic(PlacementSpec):
    model_config = ANSWER

    placement_id: str
    created_at: datetime
    updated_at: datetime


class OfferUpdate(OfferSpec):
    """An offer: who may get it, when, how often, and its content per placement."""


class OfferPublic(OfferSpec):
    model_config = ANSWER

    offer_id: str
    created_at: datetime
    updated_at: datetime


class DecisionUpdate(PolicySpec):
    """A decision policy: placements, candidates, ranking, exclusions, fallback."""


class DecisionPublic(PolicySpec):
    model_config = ANSWER

    decision_id: str
    created_at: datetime
    updated_at: datetime


class ProposeRequest(Body):
    profile_id: str = Field(min_length=1, max_length=200)
    request_id: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="Retrying with the same id answers the same proposition; seeds exploration",
    )
    event: dict[str, Any] = Field(default_factory=dict, description="`event` in rules")
    context: dict[str, Any] = Field(
        default_factory=dict, description="`context` in rules (page, device...)"
    )


class ProposedOffer(BaseModel):
    offer_id: str
    name: str
    placement: str
    content_type: str
    content: Any
    score: float | None
    reason: str = Field(description="priority, formula, auto or fallback")


class PropositionPublic(BaseModel):
    proposition_id: str = Field(description="Name it (with offer_id) in offer.* events")
    decision_id: str
    request_id: str
    profile_id: str
    offers: list[ProposedOffer]
    fallback: bool
    cap_hits: list[str] = Field(description="Offers a cap kept out of this answer")
    created_at: datetime


class OfferReport(BaseModel):
    offer_id: str
    propositions: int
    impressions: int
    clicks: int
    conversions: int
    goals: int
    cap_hits: int
    estimate: float = Field(description="The bandit's current estimate of the goal rate")


class DecisionReport(BaseModel):
    decision_id: str
    propositions: int
    fallbacks: int
    fallback_rate: float
    offers: list[OfferReport]
