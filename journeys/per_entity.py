"""`per`: the related records a message is sent once for (issue 17.4), as campaigns and
journey message nodes both write it: `{entity: booking, where: [...], limit: 10}`.

The model only; it names entity types and fields as plain strings, since the journey
language knows no entity definitions. Checking it against the types, and reading the
records, is `entities.selection` (which imports this module, not the other way round).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr

Op = Literal[
    "eq",
    "ne",
    "lt",
    "lte",
    "gt",
    "gte",
    "in",
    "not_in",
    "exists",
    "not_exists",
    "within_last",
    "within_next",
]
Scalar = StrictBool | StrictInt | StrictFloat | StrictStr
MAX_PER_MEMBER = 100


class Condition(BaseModel):
    """A comparison on one field of the record: a missing value satisfies no comparison,
    so `ne`, `not_in` and `not_exists` hold for it (as in audience rules)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    field: str = Field(min_length=1, max_length=100, description="A field of the entity type.")
    op: Op = Field(description="The comparison, as in entity audience rules.")
    value: Scalar | list[Scalar] | None = Field(
        default=None,
        description="What the field is compared with: one value, a list for in/not_in, an "
        "ISO 8601 duration for within_last/within_next, none for exists/not_exists.",
    )


class PerEntity(BaseModel):
    """One message per matching record of `entity` related to the member."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    entity: str = Field(min_length=1, max_length=100, description="an entity type")
    relation: str | None = Field(
        None, description="its relation to the profile; needed only if it has several"
    )
    where: list[Condition] = Field(
        default_factory=list, max_length=20, description="conditions every record must meet"
    )
    limit: int = Field(10, ge=1, le=MAX_PER_MEMBER, description="records per member, by key")


def fields_read(per: PerEntity) -> set[tuple[str, str | None]]:
    """What the selection needs to keep existing: (type, None) for the type itself and
    (type, field) for each field its conditions test."""
    return {(per.entity, None), *((per.entity, c.field) for c in per.where)}


def parsed_per(raw: Any) -> PerEntity | None:
    """A stored `per` (JSON) as the model, or None when absent or not one."""
    if not isinstance(raw, dict):
        return None
    try:
        return PerEntity.model_validate(raw)
    except ValueError:
        return None
