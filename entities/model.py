"""An entity type's definition: typed fields, a primary key and relations.

A relation is a column holding the key of what it points at: `to: profile` holds a profile
id (many bookings per profile), `to: hotel` holds a hotel's primary key.
"""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

FieldType = Literal["string", "number", "boolean", "timestamp", "date", "enum", "json"]
FIELD_TYPES: tuple[str, ...] = get_args(FieldType)
PROFILE = "profile"
# The field types a primary key may have: each has one text form for the URL.
KEY_TYPES = ("string", "number")

SQL_TYPES: dict[str, str] = {
    "string": "text",
    "number": "double precision",
    "boolean": "boolean",
    "timestamp": "timestamptz",
    "date": "date",
    "enum": "text",
    "json": "jsonb",
}


class FieldSpec(BaseModel):
    """One typed field; an enum lists its values.

    `type` is any string here and checked by `validation.problems`, so an unknown type is
    reported together with every other problem of the definition, not in a round before.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str = Field(json_schema_extra={"enum": list(FIELD_TYPES)})
    values: list[str] | None = Field(None, description="The allowed values of an enum")
    required: bool = Field(False, description="A record without it is refused")


class RelationSpec(BaseModel):
    """A column pointing at a profile (`to: profile`) or at another entity type."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    to: str = Field(description="`profile`, or the name of an entity type")
    required: bool = False


class Definition(BaseModel):
    """What a client sends to define an entity type."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fields: dict[str, FieldSpec] = Field(min_length=1)
    primary_key: str = Field(description="The field that identifies a record")
    relations: dict[str, RelationSpec] = Field(default_factory=dict)
    description: str = ""

    def columns(self) -> list[str]:
        """Every column a record has, fields first."""
        return [*self.fields, *self.relations]

    def profile_relations(self) -> list[str]:
        return [n for n, r in self.relations.items() if r.to == PROFILE]

    def key_type(self) -> str:
        return self.fields[self.primary_key].type


def relation_type(relation: RelationSpec, known: dict[str, Definition], own: Definition) -> str:
    """The field type a relation column holds: a profile id, or the target's key type."""
    if relation.to == PROFILE:
        return "string"
    target = known.get(relation.to, own)
    return target.key_type()
