"""Names that become SQL identifiers: checked against one strict pattern, then quoted.

A name reaches SQL text only through `quote_ident`, after `is_name` accepted it; the
pattern alone would make quoting unnecessary, and quoting alone would make a hostile name
harmless, so a mistake in either still leaves the other.
"""

from __future__ import annotations

import hashlib
import re

# Lower-case ASCII, a letter first; short enough that `e_<name>` fits PostgreSQL's 63 bytes.
NAME_PATTERN = r"^[a-z][a-z0-9_]{0,47}$"
_NAME = re.compile(NAME_PATTERN)
SCHEMA = "entities"
TABLE_PREFIX = "e_"


def is_name(name: str) -> bool:
    """Whether `name` may name an entity type, a field or a relation."""
    return bool(_NAME.fullmatch(name))


def quote_ident(name: str) -> str:
    """`name` as a quoted SQL identifier: double quotes doubled, NUL refused."""
    if "\0" in name or not name:
        raise ValueError("an identifier cannot be empty or hold a NUL character")
    return '"' + name.replace('"', '""') + '"'


def column(name: str) -> str:
    """The quoted column of a field or relation, refused unless `name` is valid."""
    if not is_name(name):
        raise ValueError(f"{name!r} is not a valid name")
    return quote_ident(name)


def table(type_name: str) -> str:
    """The quoted, schema-qualified table of an entity type: `"entities"."e_booking"`."""
    if not is_name(type_name):
        raise ValueError(f"{type_name!r} is not a valid entity type name")
    return f"{quote_ident(SCHEMA)}.{quote_ident(TABLE_PREFIX + type_name)}"


def index(type_name: str, column_name: str) -> str:
    """The quoted name of the index on one column: `"i:booking:hotel_id"`.

    Indexes share their schema's namespace with the tables (`e_<name>`), so their names
    take a colon, which no table and no valid name holds: no index can take a table's name
    or another index's. Past PostgreSQL's 63 bytes the pair is hashed, not truncated.
    """
    if not (is_name(type_name) and is_name(column_name)):
        raise ValueError("not a valid name")
    readable = f"i:{type_name}:{column_name}"
    if len(readable) > 63:
        readable = "i:" + hashlib.sha256(readable.encode()).hexdigest()[:40]
    return quote_ident(readable)


def primary_key(type_name: str) -> str:
    """The quoted name of a table's primary key constraint (and its index): `"k:booking"`."""
    if not is_name(type_name):
        raise ValueError(f"{type_name!r} is not a valid entity type name")
    return quote_ident(f"k:{type_name}")


def literal(name: str) -> str:
    """A valid name as a SQL string literal (a trigger argument): `'booking'`.

    The pattern admits no quote; refusing anything else keeps that true if it changes.
    """
    if not is_name(name):
        raise ValueError(f"{name!r} is not a valid name")
    return "'" + name.replace("'", "''") + "'"
