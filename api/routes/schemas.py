"""Machine-readable contracts: the JSON Schema of journey definitions, for editors and CI,
and the names expressions may use, for the designer's completion."""

from __future__ import annotations

from functools import cache
from typing import Any

from fastapi import APIRouter

from api.deps import Reader
from api.schemas.common import AUTH_ERRORS
from api.schemas.expressions import ExpressionNamesPublic
from journeys.schema import json_schema
from journeys.vocabulary import vocabulary

router = APIRouter(prefix="/schemas", tags=["schemas"], responses=AUTH_ERRORS)


@router.get("/journey.json")
async def journey_schema(_: Reader) -> dict[str, Any]:
    """The JSON Schema of a journey definition."""
    return _schema()


@cache
def _schema() -> dict[str, Any]:
    return json_schema()


@router.get("/expressions.json")
async def expression_names(_: Reader) -> ExpressionNamesPublic:
    """The context roots, helpers, filters and tests expressions and templates may use."""
    return ExpressionNamesPublic.model_validate(vocabulary())
