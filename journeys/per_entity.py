"""`per`: the related records a message is sent once for (issue 17.4), as campaigns and
journey message nodes both write it: `{entity: booking, where: [...], limit: 10}`.

The model only; it names entity types and fields (or paths through relations, `hotel.city`)
as plain strings, since the journey language knows no entity definitions. Checking it
against the types and reading the records is `entities.selection`, what it reads of them
`entities.per_reads` (both import this module, not the other way round).
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

    field: str = Field(
        min_length=1,
        max_length=100,
        description="A field of the entity type, or a path through its relations "
        "(`hotel.city`), as in entity audience rules.",
    )
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


def parsed_per(raw: Any) -> PerEntity | None:
    """A stored `per` (JSON) as the model, or None when absent or not one."""
    if not isinstance(raw, dict):
        return None
    try:
        return PerEntity.model_validate(raw)
    except ValueError:
        return None
