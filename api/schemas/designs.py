from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints, field_validator

from api.schemas.common import Body

DESIGN_SOURCE_BYTES = 1_048_576
COORDINATE = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=-1e7, le=1e7)]
PositionKey = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class Point(Body):
    x: COORDINATE
    y: COORDINATE


class DesignUpdate(Body):
    source: str = Field(
        description="The definition as written in the designer (YAML or JSON), valid or not"
    )
    format: Literal["yaml", "json"] = Field(description="How `source` is written")
    positions: dict[PositionKey, Point] = Field(
        default_factory=dict,
        max_length=5_000,
        description="Where each node sits on the canvas, by node id",
    )

    @field_validator("source")
    @classmethod
    def _at_most_a_mebibyte(cls, source: str) -> str:
        if len(source.encode("utf-8")) > DESIGN_SOURCE_BYTES:
            raise ValueError("must be at most 1 MiB (1048576 bytes of UTF-8)")
        return source


class DesignPublic(BaseModel):
    journey_id: str
    source: str
    format: Literal["yaml", "json"]
    positions: dict[str, Point]
    updated_at: datetime
    updated_by: str = Field(description="The name of the API key that saved it")
