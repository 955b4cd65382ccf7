"""Entity types and their records (decision 15): real tables made from definitions.

A definition is saved in the transaction that runs its DDL, under one advisory lock, so
the table and the stored definition never disagree and two saves never race. A change may
add fields and relations (ADD COLUMN, which works on a populated table) and remove fields
(DROP COLUMN), unless an audience, a campaign's `per` or a journey's `per` (of a version
that is live or still has runs) reads them; retyping a field, changing the key or
dropping a relation is refused for now (409 naming each), and so is deleting a type such a
reader reads (409 naming each reader). Records are written whole: an upsert replaces
every column, and a batch is one transaction that stores all of its records or none.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import asyncpg

from audiences.entity_check import uses, uses_entities
from audiences.rules import parse_rule
from content.fragments import reachable_sources
from db.sql import q
from db.types import Executor
from entities import ddl, queries
from entities.model import Definition
from entities.per_reads import reads
from entities.validation import problems, refused_changes, users_of
from entities.values import check, from_text, to_json
from journeys.per_entity import parsed_per
from journeys.problems import Problem
from services.errors import Conflict, FieldProblem, Invalid, NotFound, found
from services.fragments import fragments_of

MAX_BATCH = 1000
"""Records one batch may hold: one transaction, answered within a request's time."""


@dataclass(frozen=True)
class EntityRecord:
    """One stored record: its key, its values as the API shows them, and when."""

    key: Any
    values: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    created: bool = False


def _field_problems(found_: Sequence[Problem]) -> list[FieldProblem]:
    return [FieldProblem(p.path, p.message) for p in found_]


def definition_of(row: Any) -> Definition:
    raw = row["definition"]
    return Definition.model_validate(json.loads(raw) if isinstance(raw, str) else raw)


async def definitions(conn: Executor) -> dict[str, Definition]:
    """Every entity type's definition by name."""
    return {r["name"]: definition_of(r) for r in await conn.fetch(q("list_entity_types"))}


async def save_type(pool: asyncpg.Pool, name: str, d: Definition) -> tuple[Any, bool]:
    """Create or change an entity type and its table; the stored row and whether it is new."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(q("lock_entity_types"))
        known = await definitions(conn)
        wrong = problems(name, d, known)
        if wrong:
            raise Invalid(_field_problems(wrong), f"entity type {name!r} is invalid")
        old = known.get(name)
        if old is not None:
            removed = [f for f in old.fields if f not in d.fields]
            await _refuse_if_read(conn, known, {(name, f) for f in removed}, name)
        for statement in _ddl(name, old, d, known):
            await conn.execute(statement)
        row = await conn.fetchrow(q("put_entity_type"), name, d.model_dump(mode="json"))
        assert row is not None
        return row, bool(row["created"])


def _ddl(
    name: str, old: Definition | None, d: Definition, known: dict[str, Definition]
) -> list[str]:
    if old is None:
        return ddl.create(name, d, known)
    refused = refused_changes(old, d)
    if refused:
        said = "; ".join(f"{p.path}: {p.message}" for p in refused)
        raise Conflict(f"entity type {name!r} cannot change this way (for now): {said}")
    return ddl.alter(name, old, d, known)


async def _refuse_if_read(
    conn: Executor,
    known: dict[str, Definition],
    wanted: set[tuple[str, str | None]],
    name: str,
) -> None:
    """Conflict naming each audience whose rule reads one of `wanted` ((type, field), or
    (type, None) for the type at all): its rule would no longer compile."""
    if not wanted:
        return
    readers = []
    for row in await conn.fetch(q("all_audience_definitions")):
        rule, _ = parse_rule(_json(row["definition"]))
        if rule is None or not uses_entities(rule):
            continue
        read = sorted(f"{t}.{c}" if c else t for t, c in uses(rule, known) & wanted)
        if read:
            readers.append(f"audience {row['audience_id']!r} reads {', '.join(read)}")
    readers += await _per_readers(conn, known, wanted)
    if readers:
        raise Conflict(f"entity type {name!r} cannot change this way: {'; '.join(readers)}")


async def _refuse_if_exported(conn: Executor, name: str) -> None:
    """Conflict naming each destination exporting `entities.<name>`: its runs would fail."""
    exporting = [r["name"] for r in await conn.fetch(q("destinations_exporting_entity"), name)]
    if exporting:
        said = ", ".join(repr(d) for d in exporting)
        raise Conflict(f"entity type {name!r} is exported by destination {said}")


async def _per_readers(
    conn: Executor, known: dict[str, Definition], wanted: set[tuple[str, str | None]]
) -> list[str]:
    """Each campaign and journey version whose `per`, or the template its messages render
    (`entity.fields.*`, `entity.related.<relation>.*`, in the template or a fragment it
    includes), reads one of `wanted`: its records could no longer be selected or rendered
    (`campaign 'c' reads booking.status`)."""
    found: dict[str, set[str]] = {}
    rows = await conn.fetch(q("per_entity_readers"))
    fragments = fragments_of(await conn.fetch(q("render_fragments"))) if rows else {}
    for row in rows:
        per = parsed_per(_json(row["per"]))
        if per is None:
            continue
        texts = reachable_sources(_texts(row), fragments)
        read = {f"{t}.{c}" if c else t for t, c in reads(per, known, texts) & wanted}
        if not read:
            continue
        who = f"{row['kind']} {row['name']!r}"
        if row["version"] is not None:
            who += f" (version {row['version']})"
        found.setdefault(who, set()).update(read)
    return [f"{who} reads {', '.join(sorted(read))}" for who, read in found.items()]


def _texts(row: Any) -> list[str]:
    """The template's texts: subject, body, html and each locale's version of them."""
    texts = [row[k] for k in ("subject", "body", "html") if row[k]]
    return texts + list(_strings(_json(row["locales"]) or {}))


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)


def _json(raw: Any) -> Any:
    return json.loads(raw) if isinstance(raw, str) else raw


async def read_type(conn: Executor, name: str) -> Any:
    return found(await conn.fetchrow(q("read_entity_type"), name), f"entity type {name!r}")


async def list_types(conn: Executor) -> list[Any]:
    return list(await conn.fetch(q("list_entity_types")))


async def delete_type(pool: asyncpg.Pool, name: str) -> None:
    """Drop a type and its records; refused while another type points at it."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(q("lock_entity_types"))
        known = await definitions(conn)
        if name not in known:
            raise NotFound(f"entity type {name!r}")
        using = users_of(name, known)
        if using:
            raise Conflict(f"entity type {name!r} is used by relations {', '.join(using)}")
        await _refuse_if_read(conn, known, {(name, None)}, name)
        await _refuse_if_exported(conn, name)
        await conn.execute(ddl.drop(name))
        await conn.execute(q("delete_entity_type"), name)


async def _type(conn: Executor, name: str) -> tuple[Definition, dict[str, Definition]]:
    known = await definitions(conn)
    if name not in known:
        raise NotFound(f"entity type {name!r}")
    return known[name], known


def _record(d: Definition, row: Any) -> EntityRecord:
    return EntityRecord(
        key=to_json(row[d.primary_key]),
        values={c: to_json(row[c]) for c in d.columns()},
        created_at=row["_created_at"],
        updated_at=row["_updated_at"],
        created=bool(row.get("_created", False)),
    )


def _key(d: Definition, known: dict[str, Definition], key: str) -> Any:
    try:
        return from_text(d, known, d.primary_key, key)
    except ValueError as exc:
        raise Invalid([FieldProblem("key", str(exc))], "the key is invalid") from None


async def upsert(
    pool: asyncpg.Pool, name: str, key: str, record: Mapping[str, Any]
) -> EntityRecord:
    """Store one record under `key` (the key field may be omitted or must match)."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(q("share_entity_types"))
        return await _upsert(conn, name, key, record)


async def _upsert(conn: Executor, name: str, key: str, record: Mapping[str, Any]) -> EntityRecord:
    d, known = await _type(conn, name)
    key_value = _key(d, known, key)
    body = dict(record)
    given = body.pop(d.primary_key, None)
    values, wrong = check(d, known, {**body, d.primary_key: key_value})
    if given is not None and given != key_value:
        wrong.append(Problem(path=d.primary_key, message="must equal the key in the path"))
    if wrong:
        raise Invalid(_field_problems(wrong), "the record is invalid")
    row = await conn.fetchrow(queries.upsert(name, d), *(values[c] for c in d.columns()))
    assert row is not None
    return _record(d, row)


async def upsert_many(
    pool: asyncpg.Pool, name: str, records: Sequence[Mapping[str, Any]]
) -> list[EntityRecord]:
    """Store every record or none; every row problem is named `records[i].field`."""
    if len(records) > MAX_BATCH:
        raise Invalid([FieldProblem("records", f"at most {MAX_BATCH} a batch")], "too many")
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(q("share_entity_types"))
        d, known = await _type(conn, name)
        checked = [check(d, known, r, f"records[{i}]") for i, r in enumerate(records)]
        wrong = [p for _, ps in checked for p in ps]
        keys = [v[d.primary_key] for v, _ in checked]
        wrong += _repeated_keys(keys)
        if wrong:
            raise Invalid(_field_problems(wrong), "some records are invalid; none was stored")
        sql = queries.upsert(name, d)
        rows = [await conn.fetchrow(sql, *(v[c] for c in d.columns())) for v, _ in checked]
        return [_record(d, r) for r in rows if r is not None]


def _repeated_keys(keys: Sequence[Any]) -> list[Problem]:
    seen: set[Any] = set()
    out = []
    for i, k in enumerate(keys):
        if k in seen:
            out.append(Problem(path=f"records[{i}]", message="repeats a key earlier in the batch"))
        seen.add(k)
    return out


async def read(pool: asyncpg.Pool, name: str, key: str) -> EntityRecord:
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(q("share_entity_types"))
        d, known = await _type(conn, name)
        row = await conn.fetchrow(queries.read(name, d), _key(d, known, key))
    if row is None:
        raise NotFound(f"{name} {key!r}")
    return _record(d, row)


async def page(
    pool: asyncpg.Pool, name: str, filters: Mapping[str, str], after: str | None, limit: int
) -> tuple[list[EntityRecord], bool]:
    """Records in key order matching every equality filter; and whether more follow."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(q("share_entity_types"))
        return await _page(conn, name, filters, after, limit)


async def _page(
    conn: Executor, name: str, filters: Mapping[str, str], after: str | None, limit: int
) -> tuple[list[EntityRecord], bool]:
    d, known = await _type(conn, name)
    args, wrong = [], []
    for col, text in filters.items():
        try:
            if col not in d.columns():
                raise ValueError("not a field or relation of this type")
            args.append(from_text(d, known, col, text))
        except ValueError as exc:
            wrong.append(FieldProblem(col, str(exc)))
    if wrong:
        raise Invalid(wrong, "a filter is invalid")
    if after is not None:
        args.append(_key(d, known, after))
    rows = await conn.fetch(
        queries.page(name, d, list(filters), after is not None), *args, limit + 1
    )
    return [_record(d, r) for r in rows[:limit]], len(rows) > limit


async def delete(pool: asyncpg.Pool, name: str, key: str) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(q("share_entity_types"))
        d, known = await _type(conn, name)
        status = await conn.execute(queries.delete(name, d), _key(d, known, key))
    if status.endswith(" 0"):
        raise NotFound(f"{name} {key!r}")


async def timeline_items(
    pool: asyncpg.Pool, profile_ids: list[str], after: tuple[datetime, str, str], limit: int
) -> list[dict[str, Any]]:
    """A profile's records as timeline rows (`at`, `kind`, `key`, `data`), after a cursor.

    Kind `entity` sorts the same way in SQL and here, so a merged page is in one order.
    """
    at, kind, key = after
    start_key = key if kind == "entity" else ("" if kind < "entity" else "\U0010ffff")
    out = []
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(q("share_entity_types"))
        for name, d in (await definitions(conn)).items():
            out += await _timeline_of(conn, name, d, profile_ids, (at, start_key), limit)
    return out


async def _timeline_of(
    conn: Executor,
    name: str,
    d: Definition,
    profile_ids: list[str],
    after: tuple[datetime, str],
    limit: int,
) -> list[dict[str, Any]]:
    out = []
    for rel in d.profile_relations():
        sql = queries.timeline(name, d, rel)
        for r in await conn.fetch(sql, profile_ids, *after, limit, name):
            data = {"type": name, **asdict(_record(d, r))}
            data.pop("created")
            out.append({"at": r["at"], "kind": "entity", "key": r["key"], "data": data})
    return out


async def erase_records(conn: Executor, profile_ids: list[str]) -> dict[str, int]:
    """Delete every record related to these profiles, counted by `entities.<type>`.

    Only types that held records of them are counted: the answer's keys do not grow with
    every entity type defined.
    """
    await conn.execute(q("share_entity_types"))
    counts = {}
    for name, d in (await definitions(conn)).items():
        for rel in d.profile_relations():
            status = await conn.execute(queries.erase(name, rel), profile_ids)
            deleted = int(status.rsplit(" ", 1)[-1])
            if deleted:
                counts[f"entities.{name}"] = deleted
    return counts
