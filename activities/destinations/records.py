"""A profile row as a destination exports it: the chosen fields, in order, as CSV text or
as NDJSON, encoded without a parse of the attribute values (the query gives each attribute
as text for CSV and as its JSON literal for NDJSON) or of the entity records (a JSON array
text either way: CSV carries it as one cell)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from typing import Any

_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


SLOTTED = {"attributes.": "attrs", "entities.": "ents"}


class Fields:
    """Where each field's value is in a row: a column (identifiers) or a slot of one of the
    row's arrays, `attrs` (attribute values) or `ents` (entity records, JSON array text)."""

    def __init__(self, fields: Sequence[str], extra: Sequence[str] = ()) -> None:
        self.names = [*extra, *fields]
        self._keys = [_ENCODE(n) for n in self.names]
        slots: list[tuple[str, int]] = [(name, -1) for name in extra]
        used = dict.fromkeys(SLOTTED.values(), 0)
        for name in fields:
            array = next((a for p, a in SLOTTED.items() if name.startswith(p)), None)
            if array is None:
                slots.append((name, -1))
            else:
                slots.append((array, used[array]))
                used[array] += 1
        self._slots = slots

    def values(self, row: Mapping[str, Any]) -> list[Any]:
        return [row[col][i] if i >= 0 else row[col] for col, i in self._slots]

    def ndjson(self, row: Mapping[str, Any]) -> str:
        """One line; identifiers JSON-encoded here, slotted values already JSON (or null)."""
        parts = []
        for key, (_col, i), value in zip(self._keys, self._slots, self.values(row), strict=True):
            raw = (value if value is not None else "null") if i >= 0 else _ENCODE(value)
            parts.append(f"{key}:{raw}")
        return "{" + ",".join(parts) + "}\n"


class CsvLines:
    """CSV rows through one reused buffer (the csv module writes to a file-like object)."""

    def __init__(self) -> None:
        self._buf = io.StringIO()
        self._writer = csv.writer(self._buf, lineterminator="\n")

    def lines(self, rows: Sequence[Sequence[Any]]) -> str:
        self._buf.seek(0)
        self._buf.truncate()
        self._writer.writerows(rows)
        return self._buf.getvalue()
