"""The records a per-entity send goes to, read for campaigns, journeys and test mode alike.

One statement for a chunk of profiles (`entities.selection.records_query`), under the
shared entity-types lock, so the table is the one its definition describes; a selection
that no longer fits the types (a race with a change the 409 guard could not see) is
`Invalid` with the path of what is wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from db.sql import q
from db.types import Executor
from entities import selection
from journeys.per_entity import PerEntity
from services.entities import definitions
from services.errors import FieldProblem, Invalid


@dataclass(frozen=True)
class Selected:
    """One matching record: whose it is (a position in the profile ids), its key text
    (as message ids hold it) and what a template sees of it (`entity`)."""

    member: int
    key: str
    scope: dict[str, Any]


async def select_records(
    conn: Executor, per: PerEntity, profile_ids: Sequence[str], now: datetime
) -> list[Selected]:
    """Each profile's matching records, by profile then key; run inside a transaction."""
    await conn.execute(q("share_entity_types"))
    known = await definitions(conn)
    if wrong := selection.problems(per, known):
        problems = [FieldProblem(p.path, p.message) for p in wrong]
        raise Invalid(problems, f"{wrong[0].path}: {wrong[0].message}")
    query = selection.records_query(per, known, now)
    rows = await conn.fetch(query.sql, list(profile_ids), *query.args)
    d = known[per.entity]
    return [
        Selected(
            r["_member"] - 1,
            selection.key_text(r[d.primary_key]),
            selection.entity_scope(per.entity, d, r, query.related),
        )
        for r in rows
    ]
