"""Bulk import of one entity type's records: the profile import's pipeline, another target.

`services.imports.run_import` streams, frames, COPYs into a TEMP staging table and records
the job; this module gives it the entity parts: the row parser (`imports.entity_rows`, the
API's checks), a staging table of the type's columns, and a merge that upserts every staged
row in one statement. That statement fires the type's statement triggers once (entity
audiences recheck the profiles it touched, as after an API upsert), and rows that would
change nothing are not written, so re-importing a file changes nothing and moves no record
on the timeline. A key repeated in a file: the last row wins.

The definition is read when the import starts and checked again, under the shared entity
type lock, in the merge transaction: a type changed meanwhile fails the import (nothing is
written) rather than merging rows checked against another definition.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Callable, Mapping
from typing import Any

from db.sql import q
from entities import queries
from entities.model import Definition
from imports.entity_rows import EntityRowParser
from imports.rows import Format, ImportFailed, RecordParser, RowError
from services.entities import definitions
from services.errors import NotFound
from services.imports import Conn, ImportReport, run_import


class EntityTarget:
    """Rows into one entity type's table (`entities.queries` builds its SQL)."""

    staging = queries.STAGING

    def __init__(self, name: str, d: Definition, known: Mapping[str, Definition]) -> None:
        self.entity_type = name
        self.columns = ["line", *d.columns()]
        self._d = d
        self._known = known

    def parser(self, fmt: Format, errors: Callable[[RowError], None]) -> RecordParser[Any]:
        return EntityRowParser(fmt, errors, self._d, self._known)

    async def create_staging(self, conn: Conn) -> None:
        await conn.execute(queries.staging(self.entity_type, self._d, self._known))

    async def drop_staging(self, conn: Conn) -> None:
        await conn.execute(queries.drop_staging())

    async def merge(self, conn: Conn, report: ImportReport) -> None:
        await conn.execute(q("share_entity_types"))
        if (await definitions(conn)).get(self.entity_type) != self._d:
            raise ImportFailed(
                f"entity type {self.entity_type!r} changed during the import; run it again",
                field="type",
            )
        status = await conn.execute(queries.drop_staged_duplicates(self._d))
        report.duplicates = int(status.rsplit(" ", 1)[-1])
        row = await conn.fetchrow(queries.merge_staged(self.entity_type, self._d))
        assert row is not None
        report.created, report.updated = row["created"], row["updated"]


async def entity_target(conn: Conn, name: str) -> EntityTarget:
    """The target for type `name` as it is defined now; NotFound if it is not."""
    known = await definitions(conn)
    if name not in known:
        raise NotFound(f"entity type {name!r}")
    return EntityTarget(name, known[name], known)


async def import_entities(
    conn: Conn, name: str, chunks: AsyncIterable[bytes], *, fmt: Format, **options: Any
) -> ImportReport:
    """Import records of type `name` from one stream (options: `run_import`'s)."""
    target = await entity_target(conn, name)
    return await run_import(conn, chunks, target, fmt=fmt, **options)
