"""Designs: what the visual designer saves beside a journey's draft.

The text as written (comments and key order survive, which a parsed draft would lose) and
the node positions on the canvas. A design is stored as it is, valid or not, so nothing a
person typed is lost; the draft (`PUT /v1/journeys/{id}`) stays what the validator accepts,
and positions never change what the journey does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from db.sql import q
from db.types import Executor
from services.errors import found


@dataclass(frozen=True)
class Design:
    source: str
    format: str  # "yaml" | "json"
    positions: Mapping[str, Mapping[str, float]]


async def save(
    pool: Executor, journey_id: str, design: Design, by: str
) -> tuple[dict[str, Any], bool]:
    """Create or replace the design; answers the stored row and whether it was new."""
    row = await pool.fetchrow(
        q("put_journey_design"),
        journey_id,
        design.source,
        design.format,
        dict(design.positions),
        by,
    )
    stored = dict(found(row, f"design of journey {journey_id!r}"))
    return stored, bool(stored.pop("created"))


async def read(pool: Executor, journey_id: str) -> dict[str, Any]:
    row = await pool.fetchrow(q("read_journey_design"), journey_id)
    return dict(found(row, f"design of journey {journey_id!r}"))
