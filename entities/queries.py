"""The record queries of one entity type, built from quoted identifiers and $n parameters.

A value never reaches the SQL text: only column names (checked, then quoted) and
placeholder numbers do. `services/entities.py` caches nothing; building is cheap.
"""

from __future__ import annotations

from collections.abc import Sequence

from entities.ddl import CREATED, UPDATED
from entities.identifiers import column, literal, table
from entities.model import Definition


def _select_list(d: Definition) -> str:
    return ", ".join([*(column(c) for c in d.columns()), CREATED, UPDATED])


def upsert(name: str, d: Definition) -> str:
    """Insert or replace one record (every column), answering the row and whether it is new."""
    cols = d.columns()
    names = ", ".join(column(c) for c in cols)
    params = ", ".join(f"${i}" for i in range(1, len(cols) + 1))
    sets = ", ".join(f"{column(c)} = EXCLUDED.{column(c)}" for c in cols if c != d.primary_key)
    sets = f"{sets}, {UPDATED} = now()" if sets else f"{UPDATED} = now()"
    return (
        f"INSERT INTO {table(name)} ({names}) VALUES ({params}) "
        f"ON CONFLICT ({column(d.primary_key)}) DO UPDATE SET {sets} "
        f"RETURNING {_select_list(d)}, (xmax = 0) AS _created"
    )


def read(name: str, d: Definition) -> str:
    return f"SELECT {_select_list(d)} FROM {table(name)} WHERE {column(d.primary_key)} = $1"


def page(name: str, d: Definition, filters: Sequence[str], after: bool) -> str:
    """Records in key order where each filter column equals its parameter, after a key.

    Parameters: one per filter in order, then the key to start after (if `after`), then
    the page size.
    """
    where = [f"{column(c)} = ${i}" for i, c in enumerate(filters, start=1)]
    n = len(filters) + 1
    if after:
        where.append(f"{column(d.primary_key)} > ${n}")
        n += 1
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    return (
        f"SELECT {_select_list(d)} FROM {table(name)}{clause} "
        f"ORDER BY {column(d.primary_key)} LIMIT ${n}"
    )


def delete(name: str, d: Definition) -> str:
    return f"DELETE FROM {table(name)} WHERE {column(d.primary_key)} = $1"


def timeline(name: str, d: Definition, relation: str) -> str:
    """A profile's records as timeline items after a cursor position.

    $1 profile ids, $2/$3 the cursor (at, key), $4 the page size, $5 the type name. The key is
    `<type>:<primary key>`, compared byte-wise so the order matches the caller's merge.
    """
    key = f"($5::text || ':' || {column(d.primary_key)}::text) COLLATE \"C\""
    return (
        f"SELECT {UPDATED} AS at, {key} AS key, {_select_list(d)} FROM {table(name)} "
        f'WHERE {column(relation)} = ANY($1::text[]) AND ({UPDATED}, {key}) > ($2, $3 COLLATE "C") '
        f"ORDER BY {UPDATED}, {key} LIMIT $4"
    )


def erase(name: str, relation: str) -> str:
    """Delete every record of these profiles ($1 the ids)."""
    return f"DELETE FROM {table(name)} WHERE {column(relation)} = ANY($1::text[])"


def profile_records(name: str, d: Definition) -> str:
    """Each profile's records of this type as one JSON array text, in key order.

    $1 the profile ids. A record related to a profile through several relations is listed
    once per profile it belongs to. Values are as `to_jsonb` gives them (timestamps ISO 8601).
    """
    pairs = ", ".join(f"{literal(c)}, t.{column(c)}" for c in d.columns())
    rels = ", ".join(f"(t.{column(r)})" for r in d.profile_relations())
    return (
        f"SELECT r.profile_id, jsonb_agg(jsonb_build_object({pairs}) "
        f"ORDER BY t.{column(d.primary_key)})::text AS records "
        f"FROM {table(name)} t CROSS JOIN LATERAL (VALUES {rels}) AS r(profile_id) "
        f"WHERE r.profile_id = ANY($1::text[]) GROUP BY r.profile_id"
    )
