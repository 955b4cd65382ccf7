"""The DDL a definition needs: its table and indexes, or the columns a change adds.

Every identifier goes through `entities.identifiers`; nothing else reaches the SQL text.
Columns are nullable even for required fields: `required` is checked when a record is
written, so adding a required field works on a populated table.
"""

from __future__ import annotations

from collections.abc import Mapping

from entities.identifiers import column, index, literal, primary_key, table
from entities.model import SQL_TYPES, Definition, relation_type

CREATED = '"_created_at"'
UPDATED = '"_updated_at"'


def column_types(name: str, d: Definition, known: Mapping[str, Definition]) -> dict[str, str]:
    types = {f: SQL_TYPES[s.type] for f, s in d.fields.items()}
    for r, rel in d.relations.items():
        types[r] = SQL_TYPES[relation_type(rel, dict(known), d)]
    return types


def create(name: str, d: Definition, known: Mapping[str, Definition]) -> list[str]:
    """CREATE TABLE with its primary key, then one index per relation column."""
    types = column_types(name, d, known)
    cols = [f"{column(c)} {t}" for c, t in types.items()]
    cols += [f"{CREATED} timestamptz NOT NULL DEFAULT now()"]
    cols += [f"{UPDATED} timestamptz NOT NULL DEFAULT now()"]
    cols += [f"CONSTRAINT {primary_key(name)} PRIMARY KEY ({column(d.primary_key)})"]
    statements = [f"CREATE TABLE {table(name)} ({', '.join(cols)})"]
    return statements + [_index(name, r) for r in d.relations] + triggers(name)


def triggers(name: str) -> list[str]:
    """The statement triggers that queue audience rechecks when records change
    (`entity_audience_enqueue`, db/migrations/030_entity_audiences.sql)."""
    call = f"FOR EACH STATEMENT EXECUTE FUNCTION entity_audience_enqueue({literal(name)})"
    return [
        f"CREATE TRIGGER audiences_insert AFTER INSERT ON {table(name)} "
        f"REFERENCING NEW TABLE AS new_rows {call}",
        f"CREATE TRIGGER audiences_update AFTER UPDATE ON {table(name)} "
        f"REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows {call}",
        f"CREATE TRIGGER audiences_delete AFTER DELETE ON {table(name)} "
        f"REFERENCING OLD TABLE AS old_rows {call}",
    ]


def _index(name: str, col: str) -> str:
    return f"CREATE INDEX {index(name, col)} ON {table(name)} ({column(col)}, {UPDATED})"


def alter(
    name: str, old: Definition, new: Definition, known: Mapping[str, Definition]
) -> list[str]:
    """ADD COLUMN for each new field and relation, an index for each new relation, and
    DROP COLUMN for each removed field.

    Assumes `validation.refused_changes(old, new)` found nothing, and that the caller
    checked no audience reads a removed field.
    """
    types = column_types(name, new, known)
    added = [c for c in new.columns() if c not in old.columns()]
    removed = [f for f in old.fields if f not in new.fields]
    statements = [f"ALTER TABLE {table(name)} ADD COLUMN {column(c)} {types[c]}" for c in added]
    statements += [f"ALTER TABLE {table(name)} DROP COLUMN {column(c)}" for c in removed]
    return statements + [_index(name, r) for r in new.relations if r not in old.relations]


def drop(name: str) -> str:
    return f"DROP TABLE {table(name)}"
