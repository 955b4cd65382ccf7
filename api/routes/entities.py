"""Entity types (`/entity-types`) and their records (`/entities/{type}`), decision 15."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Response

from api.deps import JsonBody, PoolDep, ProfilesWriter, Reader
from api.errors import field, invalid
from api.routes.named import saved
from api.schemas.common import ERRORS, Page
from api.schemas.entities import (
    EntityBatch,
    EntityBatchPublic,
    EntityKeyPath,
    EntityPage,
    EntityRecordPublic,
    EntityTypePath,
    EntityTypePublic,
    EntityTypeUpdate,
)
from entities.identifiers import SCHEMA, TABLE_PREFIX
from services import entities
from services.entities import EntityRecord

types = APIRouter(
    prefix="/entity-types", tags=["entities"], dependencies=[JsonBody], responses=ERRORS
)
records = APIRouter(
    prefix="/entities", tags=["entities"], dependencies=[JsonBody], responses=ERRORS
)


def _type_public(row: Any) -> EntityTypePublic:
    d = entities.definition_of(row)
    return EntityTypePublic(
        name=row["name"],
        **d.model_dump(),
        table=f"{SCHEMA}.{TABLE_PREFIX}{row['name']}",
        version=row["version"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


@types.put("/{name}", responses={201: {"model": EntityTypePublic}})
async def put_entity_type(
    name: EntityTypePath,
    body: EntityTypeUpdate,
    pool: PoolDep,
    response: Response,
    _: ProfilesWriter,
) -> EntityTypePublic:
    """Create an entity type and its table, or add fields and relations to it. Removing or
    retyping a field, changing the key or removing a relation is refused (409) for now."""
    row, created = await entities.save_type(pool, name, body.definition())
    saved(response, created)
    return _type_public(row)


@types.get("")
async def list_entity_types(pool: PoolDep, _: Reader) -> Page[EntityTypePublic]:
    """Every entity type by name."""
    rows = await entities.list_types(pool)
    return Page(items=[_type_public(r) for r in rows], count=len(rows))


@types.get("/{name}")
async def get_entity_type(name: EntityTypePath, pool: PoolDep, _: Reader) -> EntityTypePublic:
    """Read an entity type's definition."""
    return _type_public(await entities.read_type(pool, name))


@types.delete("/{name}", status_code=204)
async def delete_entity_type(name: EntityTypePath, pool: PoolDep, _: ProfilesWriter) -> Response:
    """Drop an entity type and every record of it; 409 while another type relates to it."""
    await entities.delete_type(pool, name)
    return Response(status_code=204)


def _public(name: str, r: EntityRecord) -> EntityRecordPublic:
    return EntityRecordPublic(
        type=name, key=r.key, values=r.values, created_at=r.created_at, updated_at=r.updated_at
    )


@records.put("/{name}/{key}", responses={201: {"model": EntityRecordPublic}})
async def put_entity(
    name: EntityTypePath,
    key: EntityKeyPath,
    pool: PoolDep,
    response: Response,
    _: ProfilesWriter,
    body: Annotated[dict[str, Any], Body(description="Every field and relation of the record")],
) -> EntityRecordPublic:
    """Create or replace one record (every column: one left out becomes null)."""
    r = await entities.upsert(pool, name, key, body)
    saved(response, r.created)
    return _public(name, r)


@records.post("/{name}/batch")
async def post_entity_batch(
    name: EntityTypePath, body: EntityBatch, pool: PoolDep, _: ProfilesWriter
) -> EntityBatchPublic:
    """Create or replace up to 1,000 records at once: all are stored, or none (422 naming
    each bad value as `records[3].nights`)."""
    rows = await entities.upsert_many(pool, name, body.records)
    return EntityBatchPublic(count=len(rows), items=[_public(name, r) for r in rows])


@records.get("/{name}/{key}")
async def get_entity(
    name: EntityTypePath, key: EntityKeyPath, pool: PoolDep, _: Reader
) -> EntityRecordPublic:
    """Read one record by its key."""
    return _public(name, await entities.read(pool, name, key))


def _filters(where: list[str]) -> dict[str, str]:
    """`status:confirmed` → {"status": "confirmed"}; each malformed one named."""
    out, bad = {}, []
    for i, text in enumerate(where):
        column, sep, value = text.partition(":")
        if not sep or not column or column in out:
            bad.append(field(f"where[{i}]", "must be field:value, once per field"))
        out[column] = value
    if bad:
        raise invalid(bad)
    return out


@records.get("/{name}")
async def list_entities(
    name: EntityTypePath,
    pool: PoolDep,
    _: Reader,
    where: Annotated[
        list[str] | None,
        Query(max_length=50, description="`field:value`, repeat for more (all must hold)"),
    ] = None,
    after: Annotated[str | None, Query(max_length=500, description="A `next_after`")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> EntityPage:
    """Records in key order, filtered by equality on fields and relations, a page at a time."""
    rows, more = await entities.page(pool, name, _filters(where or []), after, limit)
    items = [_public(name, r) for r in rows]
    next_after = str(items[-1].key) if more and items else None
    return EntityPage(items=items, count=len(items), next_after=next_after)


@records.delete("/{name}/{key}", status_code=204)
async def delete_entity(
    name: EntityTypePath, key: EntityKeyPath, pool: PoolDep, _: ProfilesWriter
) -> Response:
    """Delete one record."""
    await entities.delete(pool, name, key)
    return Response(status_code=204)
