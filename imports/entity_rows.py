"""Rows of a bulk entity import: CSV cells or NDJSON objects into one type's records.

The framing, the CSV header and the counts are the profile import's (`imports.rows`); what
differs is what a row becomes. A record is written whole, as by `PUT /v1/entities/{type}`:
every column of the type, an empty CSV cell or a missing NDJSON key being null. Its values
pass the API's own checks (`entities.values.check`), so a row the import refuses is one the
API refuses too, with the same field name.

- CSV: the header names the type's fields and relations (the type gives their types, so no
  `:type` suffix); cells are converted to the field's type: `number`, `boolean` (true/false,
  yes/no, 1/0), `json` (any JSON value), `timestamp` (ISO 8601 with an offset), `date`,
  `enum`, `string`.
- NDJSON: one record per line, as the API's JSON body.

The relation to the profile holds a profile id with the profile import's rules (at most 200
characters, surrounding blanks dropped); a `profile_id` (or `user_id`) column or key names
it, unless the type has a field of that name; in NDJSON it may be an integer, as there.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from entities.model import Definition
from entities.values import check, kind_of, required
from imports.rows import (
    CONVERTERS,
    ID_FIELDS,
    Format,
    ImportFailed,
    RecordParser,
    RowError,
    attributes_json,
    id_problem,
)

EntityRow = tuple[Any, ...]
"""(line, then each column of the type in `Definition.columns()` order; JSON as text)."""

_STRIPPED = frozenset({"number", "boolean", "timestamp", "date"})


class EntityRowParser(RecordParser[EntityRow]):
    """Records of one entity type, checked as the API checks them."""

    def __init__(
        self,
        fmt: Format,
        errors: Callable[[RowError], None],
        d: Definition,
        known: Mapping[str, Definition],
    ) -> None:
        super().__init__(fmt, errors)
        self._d = d
        self._known = known
        self._kinds = {c: kind_of(d, known, c) for c in d.columns()}
        profiles = d.profile_relations()
        self._profile = profiles[0] if profiles else None
        self._cells_of: list[tuple[int, str]] = []  # (cell index, column)

    def _column(self, name: str) -> str:
        """The column a header name or NDJSON key stands for (an id alias, or itself)."""
        if name in ID_FIELDS and self._profile and name not in self._d.columns():
            return self._profile
        return name

    # ---- CSV

    def _columns(self, specs: list[tuple[int, str, str]]) -> None:
        for index, name, kind in specs:
            col = self._column(name)
            if col not in self._d.columns():
                raise ImportFailed(
                    f"header: {name!r} is not a field or relation of this type", field="header"
                )
            if kind:
                raise ImportFailed(
                    f"header: {name!r}: the entity type gives its type, drop ':{kind}'",
                    field="header",
                )
            if any(col == seen for _, seen in self._cells_of):
                raise ImportFailed(f"header names {col!r} twice", field="header")
            self._cells_of.append((index, col))
        named = {c for _, c in self._cells_of}
        missing = [c for c in self._d.columns() if c not in named and required(self._d, c)]
        if missing:
            raise ImportFailed(
                f"the CSV header has no column for {', '.join(missing)} (required)",
                field="header",
            )

    def _csv_values(
        self, line: int, cells: list[str], problems: list[RowError]
    ) -> EntityRow | None:
        record: dict[str, Any] = {}
        for index, col in self._cells_of:
            kind = self._kinds[col]
            cell = (
                cells[index].strip() if kind in _STRIPPED or col == self._profile else cells[index]
            )
            if not cell:
                continue
            try:
                record[col] = _typed(kind, cell)
            except ValueError as exc:
                problems.append(RowError(line, col, str(exc)))
        return self._record(line, record, problems, said={p.field for p in problems})

    # ---- NDJSON

    def _ndjson_values(
        self, line: int, obj: dict[str, Any], problems: list[RowError]
    ) -> EntityRow | None:
        record = {self._column(k): v for k, v in obj.items()}
        given = record.get(self._profile) if self._profile else None
        if isinstance(given, int) and not isinstance(given, bool):
            record[self._profile or ""] = str(given)  # a profile id may be an integer
        elif isinstance(given, str):
            record[self._profile or ""] = given.strip()
        return self._record(line, record, problems)

    # ---- both

    def _record(
        self,
        line: int,
        record: dict[str, Any],
        problems: list[RowError],
        said: Collection[str | None] = (),
    ) -> EntityRow | None:
        """The staged row of a record; `said`: columns already refused (a cell that is not
        a number is not also "required")."""
        values, wrong = check(self._d, self._known, record)
        problems.extend(RowError(line, p.path, p.message) for p in wrong if p.path not in said)
        if self._profile and isinstance(values.get(self._profile), str):
            problem = id_problem(values[self._profile])
            if problem:
                problems.append(RowError(line, self._profile, problem))
        row: list[Any] = [line]
        for col in self._d.columns():
            value, problem = self._storable(col, values.get(col))
            if problem:
                problems.append(RowError(line, col, problem))
            row.append(value)
        return None if problems else tuple(row)

    def _storable(self, col: str, value: Any) -> tuple[Any, str | None]:
        """The value as staged (JSON as its text), or why PostgreSQL would refuse it."""
        if value is None:
            return None, None
        if self._kinds[col] == "json":
            return attributes_json(value, check_surrogates=self.fmt == "ndjson", root=col)
        if isinstance(value, str):
            if "\x00" in value:
                return None, "contains a NUL character"
            if self.fmt == "ndjson" and not _encodable(value):
                return None, "contains an unpaired UTF-16 surrogate"
        return value, None


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _typed(kind: str, cell: str) -> Any:
    """A CSV cell as the JSON value the API would receive for a field of this type."""
    if kind in ("number", "boolean", "json"):
        return CONVERTERS[kind](cell)
    return cell  # string, enum, timestamp, date: `check` parses and refuses these
