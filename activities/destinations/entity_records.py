"""The `entities.<type>` fields of an export: each profile's records of that type, read in
the export's own snapshot (the file's transaction) one query per type and block of rows,
so a block of 2,000 profiles costs one extra round trip per type, not one per profile."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from activities.destinations.target_guard import SinkError
from db.types import Executor
from entities.model import Definition
from entities.queries import profile_records
from services.entities import definitions

NONE = "[]"


class EntityRecords:
    """The queries of the requested types, built once per export."""

    def __init__(self, queries: list[str]) -> None:
        self._queries = queries

    @classmethod
    async def of(cls, conn: Executor, types: Sequence[str]) -> EntityRecords:
        if not types:
            return cls([])
        known = await definitions(conn)
        return cls([profile_records(t, _definition(known, t)) for t in types])

    async def attach(self, conn: Executor, rows: Sequence[Any]) -> Sequence[Any]:
        """The rows with `ents`: per type, the profile's records as JSON array text."""
        if not self._queries:
            return rows
        ids = list(dict.fromkeys(r["profile_id"] for r in rows))
        found = [
            {r["profile_id"]: r["records"] for r in await conn.fetch(query, ids)}
            for query in self._queries
        ]
        return [{**r, "ents": [f.get(r["profile_id"], NONE) for f in found]} for r in rows]


def _definition(known: Mapping[str, Definition], name: str) -> Definition:
    """Checked when the destination was saved; a type removed since fails the run here."""
    d = known.get(name)
    if d is None or not d.profile_relations():
        raise SinkError(f"entity type {name!r} no longer exists or has no profile relation")
    return d
