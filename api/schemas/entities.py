"""Entity types and their records (services/entities.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel, Field

from api.schemas.common import Body
from entities.model import Definition, FieldSpec, RelationSpec
from services.entities import MAX_BATCH

# Loose on purpose: the definition's validator names a bad type name (`name`) with the rule.
EntityTypePath = Annotated[str, Path(min_length=1, max_length=100, description="Entity type")]
EntityKeyPath = Annotated[str, Path(min_length=1, max_length=500, description="Primary key")]


class EntityTypeUpdate(Body):
    """A whole definition; a save may add fields and relations to an existing type."""

    fields: dict[str, FieldSpec] = Field(min_length=1, max_length=500)
    primary_key: str = Field(description="The field that identifies a record (string or number)")
    relations: dict[str, RelationSpec] = Field(default_factory=dict, max_length=100)
    description: str = Field("", max_length=1000)

    def definition(self) -> Definition:
        return Definition.model_validate(self.model_dump())


class EntityTypePublic(BaseModel):
    name: str
    fields: dict[str, FieldSpec]
    primary_key: str
    relations: dict[str, RelationSpec]
    description: str
    table: str = Field(description="The PostgreSQL table holding the records")
    version: int = Field(description="1 when created, one more at every save")
    created_at: datetime
    updated_at: datetime


class EntityRecordPublic(BaseModel):
    type: str
    key: Any
    values: dict[str, Any] = Field(description="Every field and relation (null when unset)")
    created_at: datetime
    updated_at: datetime


class EntityBatch(Body):
    records: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_BATCH)


class EntityBatchPublic(BaseModel):
    count: int
    items: list[EntityRecordPublic]


class EntityPage(BaseModel):
    items: list[EntityRecordPublic]
    count: int
    next_after: str | None = Field(
        None, description="Pass as `after` for the next page; null on the last page"
    )
