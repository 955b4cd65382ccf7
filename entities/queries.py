"""The record queries of one entity type, built from quoted identifiers and $n parameters.

A value never reaches the SQL text: only column names (checked, then quoted) and
placeholder numbers do. `services/entities.py` caches nothing; building is cheap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from entities.ddl import CREATED, UPDATED, column_types
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


STAGING = "entity_import_rows"
"""The TEMP table a bulk import copies one type's rows into (services/entity_imports.py)."""


def staging(name: str, d: Definition, known: Mapping[str, Definition]) -> str:
    """The staging table: `line`, then the type's columns, JSON ones as text (the driver
    copies text without a codec; the merge casts it)."""
    types = {c: "text" if t == "jsonb" else t for c, t in column_types(name, d, known).items()}
    cols = ", ".join(f"{column(c)} {types[c]}" for c in d.columns())
    return f"CREATE TEMP TABLE {STAGING} (line bigint NOT NULL, {cols})"


def drop_staging() -> str:
    return f"DROP TABLE IF EXISTS pg_temp.{STAGING}"


def drop_staged_duplicates(d: Definition) -> str:
    """A key repeated in one file: the last row wins, earlier ones are dropped whole."""
    key = column(d.primary_key)
    return (
        f"DELETE FROM pg_temp.{STAGING} r USING (SELECT {key}, max(line) AS last "
        f"FROM pg_temp.{STAGING} GROUP BY {key} HAVING count(*) > 1) d "
        f"WHERE r.{key} = d.{key} AND r.line < d.last"
    )


def merge_staged(name: str, d: Definition) -> str:
    """Upsert every staged row in one statement (the statement triggers fire once), writing
    none that would change nothing; answers (created, updated)."""
    cols = d.columns()
    names = ", ".join(column(c) for c in cols)
    json_cols = {f for f, s in d.fields.items() if s.type == "json"}
    picked = ", ".join(f"{column(c)}::jsonb" if c in json_cols else column(c) for c in cols)
    rest = [column(c) for c in cols if c != d.primary_key]
    if rest:
        sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in rest)
        olds, news = ", ".join(f"t.{c}" for c in rest), ", ".join(f"EXCLUDED.{c}" for c in rest)
        conflict = (
            f"DO UPDATE SET {sets}, {UPDATED} = now() "
            f"WHERE ROW({olds}) IS DISTINCT FROM ROW({news})"
        )
    else:
        conflict = "DO NOTHING"
    return (
        f"WITH merged AS (INSERT INTO {table(name)} AS t ({names}) "
        f"SELECT {picked} FROM pg_temp.{STAGING} "
        f"ON CONFLICT ({column(d.primary_key)}) {conflict} RETURNING (xmax = 0) AS created) "
        "SELECT count(*) FILTER (WHERE created) AS created, "
        "count(*) FILTER (WHERE NOT created) AS updated FROM merged"
    )


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
