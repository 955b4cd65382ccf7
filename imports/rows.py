"""Rows of a bulk profile import: bytes framed into records, parsed, validated, staged.

Pure (no IO) so the rules are unit-tested without a database; `services/imports.py` feeds it
the byte stream and copies what it returns into Postgres. Nothing here holds more than
one incomplete record, so a file of any size passes through in bounded memory.

Formats
- CSV (RFC 4180 quoting, `,` separator, UTF-8, an optional BOM): a header row, then one
  profile per row. `profile_id` (or `user_id`) is required; `email`, `phone`, `timezone`
  are the contact fields; every other column is an attribute. Cells are strings unless the
  header names a type after a colon: `age:integer`, `ltv:number`, `vip:boolean`
  (true/false, yes/no, 1/0, t/f, y/n), `signed_up:datetime` (ISO 8601, stored as ISO
  text), `tags:json` (any JSON value), `zip:string` (the default). An empty cell leaves the
  stored value as it is: an import sets, it never clears. Blank lines are skipped.
- NDJSON: one JSON object per line: `profile_id` (or `user_id`; a string or an integer),
  `email`, `phone`, `timezone`, `attributes` (an object), and any other key is an
  attribute too (flat traits; `attributes` wins on a clash). A null contact field clears
  it; a null attribute removes it. Blank lines are skipped.

Attribute integers lie within ±(2^53 - 1), as everywhere in the API (api/storable.py):
JavaScript clients and the console would read a larger one rounded. A profile id may be any
integer: it is stored as its text.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any, Generic, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from contacts import addresses
from imports.json_paths import walk

Format = Literal["csv", "ndjson"]
FORMATS: tuple[Format, ...] = ("csv", "ndjson")

CONTACT_FIELDS = ("email", "phone", "timezone")
ID_FIELDS = ("profile_id", "user_id")
MAX_ID_LENGTH = 200
MAX_RECORD_BYTES = 1 << 20
"""A longer line (or CSV record) stops the import: it is not a profile, and buffering it
would let one broken quote pull the rest of the file into memory."""

_INTEGER = re.compile(r"^[+-]?[0-9]+$")
_MAX_LENGTH = {"email": 320, "phone": 40, "timezone": 64}
_TRUE = frozenset({"true", "t", "yes", "y", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "0"})
_BOM = b"\xef\xbb\xbf"

StagedRow = tuple[
    int, str, str | None, str | None, str | None, list[str] | None, str, list[str] | None
]
"""(line, profile_id, email, phone, timezone, unset, attributes JSON, removed): the
columns of `profile_import_rows` (migration 009)."""

Row = TypeVar("Row")

STAGED_COLUMNS = (
    "line",
    "profile_id",
    "email",
    "phone",
    "timezone",
    "unset",
    "attributes",
    "removed",
)


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem of one row; `field` is None when the whole row is unreadable."""

    line: int
    field: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "field": self.field, "message": self.message}


class ImportFailed(Exception):
    """The file cannot be read on (bad header, oversized record): nothing is imported."""

    def __init__(self, message: str, *, field: str | None = None, too_large: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.too_large = too_large  # over the size limit, not unreadable


# --------------------------------------------------------------------------- framing


class Framer:
    """Cuts a byte stream into records, each with the line number it starts on.

    NDJSON records are lines. A CSV record ends at the first newline outside quotes; with
    RFC 4180 quoting (`""` inside quotes) that is where the count of `"` is even, so
    records are found without parsing them. `\\r\\n` and `\\n` both end lines.
    """

    def __init__(self, fmt: Format, max_record: int = MAX_RECORD_BYTES) -> None:
        self._csv = fmt == "csv"
        self._max = max_record
        self._tail = b""
        self._line = 0  # lines completed so far
        self._parts: list[bytes] = []  # CSV: lines of a record still inside quotes
        self._quotes = 0
        self._size = 0
        self._start = 0
        self._first = True

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        if self._first and data:
            if len(self._tail) + len(data) < len(_BOM) and _BOM.startswith(self._tail + data):
                self._tail += data
                return []
            data = self._tail + data
            self._tail = b""
            data = data.removeprefix(_BOM)
            self._first = False
        lines = (self._tail + data).split(b"\n")
        self._tail = lines.pop()
        if len(self._tail) > self._max:
            raise ImportFailed(
                f"line {self._line + 1} is longer than {self._max} bytes", field="body"
            )
        return self._records(lines)

    def close(self) -> list[tuple[int, bytes]]:
        out = self._records([self._tail]) if self._tail else []
        self._tail = b""
        if self._parts:
            raise ImportFailed(
                f"line {self._start}: a quoted CSV field is never closed", field="body"
            )
        return out

    def _records(self, lines: list[bytes]) -> list[tuple[int, bytes]]:
        out: list[tuple[int, bytes]] = []
        for raw in lines:
            self._line += 1
            line = raw[:-1] if raw.endswith(b"\r") else raw
            if not self._csv:
                if line.strip():
                    out.append((self._line, line))
                continue
            if not self._parts:
                if b'"' not in line:
                    if line:
                        out.append((self._line, line))
                    continue
                self._start = self._line
                self._quotes = 0
                self._size = 0
            self._parts.append(line)
            self._quotes += line.count(b'"')
            self._size += len(line) + 1
            if self._quotes % 2 == 0:
                out.append((self._start, b"\n".join(self._parts)))
                self._parts = []
            elif self._size > self._max:
                raise ImportFailed(
                    f"line {self._start}: a CSV record is longer than {self._max} bytes "
                    "(is a quote left open?)",
                    field="body",
                )
        return out


# --------------------------------------------------------------------------- values


@lru_cache(maxsize=4096)
def _zone_problem(name: str) -> str | None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return f"unknown IANA time zone {name!r}"
    return None


def contact_value(name: str, value: str) -> tuple[str, str | None]:
    """The stored form of a contact field value, and why it is refused if it is: the rules
    of the profiles API (email and phone: contacts/addresses.py, stored normalised)."""
    if len(value) > _MAX_LENGTH[name]:
        return value, f"longer than {_MAX_LENGTH[name]} characters"
    if "\x00" in value:
        return value, "contains a NUL character"
    if name == "timezone":
        return value, _zone_problem(value)
    checked = addresses.email(value) if name == "email" else addresses.phone(value)
    if isinstance(checked, addresses.Invalid):
        return value, checked.reason
    return checked, None


def id_problem(value: str) -> str | None:
    if not value:
        return "required"
    if len(value) > MAX_ID_LENGTH:
        return f"longer than {MAX_ID_LENGTH} characters"
    if "\x00" in value:
        return "contains a NUL character"
    return None


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _loads(text: str | bytes) -> Any:
    return json.loads(text, parse_constant=_no_constants)


def _to_boolean(text: str) -> Any:
    low = text.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise ValueError("not a boolean (true/false, yes/no, 1/0)")


MAX_EXACT_INTEGER = 2**53 - 1  # JavaScript's Number.MAX_SAFE_INTEGER; the API's too
BEYOND_EXACT = "beyond ±(2^53 - 1), the largest integer JSON clients read exactly"
_LONG_DIGITS = re.compile(r"\d{16}")  # fewer digits cannot be past MAX_EXACT_INTEGER


def _exact(number: int) -> int:
    if abs(number) > MAX_EXACT_INTEGER:
        raise ValueError(f"{number} is {BEYOND_EXACT}")
    return number


def _to_integer(text: str) -> Any:
    text = text.strip()
    if not _INTEGER.match(text):
        raise ValueError("not an integer")
    return _exact(int(text))


def _to_number(text: str) -> Any:
    text = text.strip()
    if _INTEGER.match(text):
        return _exact(int(text))
    try:
        number = float(text)
    except ValueError:
        raise ValueError("not a number") from None
    if not math.isfinite(number):
        raise ValueError("not a finite number")
    return number


def _to_datetime(text: str) -> Any:
    text = text.strip()
    try:
        if len(text) == 10:  # a date alone stays a date
            return date.fromisoformat(text).isoformat()
        return datetime.fromisoformat(text).isoformat()
    except ValueError:
        raise ValueError("not an ISO 8601 date or date-time") from None


def _to_json(text: str) -> Any:
    try:
        return _loads(text)
    except ValueError as exc:
        raise ValueError(f"not JSON: {exc}") from None


def _to_string(text: str) -> Any:
    return text


CONVERTERS: dict[str, Callable[[str], Any]] = {
    "string": _to_string,
    "integer": _to_integer,
    "number": _to_number,
    "boolean": _to_boolean,
    "datetime": _to_datetime,
    "json": _to_json,
}


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
"""Built once: `json.dumps` with options builds an encoder per call (a third of a row's cost)."""


def attributes_json(
    attrs: Any, *, check_surrogates: bool, root: str = "attributes"
) -> tuple[str | None, str | None]:
    """(JSON text, None) or (None, why Postgres would refuse it).

    Lone surrogates can only come from JSON escapes (`"\\ud800"`): strictly decoded UTF-8
    (CSV) never holds one, so only NDJSON pays for that check.
    """
    text = _ENCODER.encode(attrs)
    if "\\u0000" in text:
        return None, "contains a NUL character (\\u0000)"
    if _LONG_DIGITS.search(text) and (path := _big_integer(attrs, root)):
        return None, f"{path} is {BEYOND_EXACT}"
    if check_surrogates:
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return None, "contains an unpaired UTF-16 surrogate"
    return text, None


def _big_integer(value: Any, path: str) -> str | None:
    """The path of the first integer past MAX_EXACT_INTEGER in a parsed JSON value."""
    for where, item, _ in walk(value, path):
        if isinstance(item, int) and not isinstance(item, bool) and abs(item) > MAX_EXACT_INTEGER:
            return where
    return None


# --------------------------------------------------------------------------- parsers


class _Feed:
    """A one-line iterator that a single csv.reader keeps reading from."""

    def __init__(self) -> None:
        self.line: str | None = None

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        line, self.line = self.line, None
        if line is None:
            raise StopIteration
        return line


class RecordParser(Generic[Row]):
    """Turns records into staged rows; row problems go to `errors` (a callback).

    The framing, the CSV header and cells, the NDJSON objects and the counts are common to
    every import; a subclass says what the header's columns are (`_columns`) and what one
    row's values become (`_csv_values`, `_ndjson_values`): a profile, an entity record.
    """

    def __init__(self, fmt: Format, errors: Callable[[RowError], None]) -> None:
        self.fmt = fmt
        self._error = errors
        self._header_done = fmt == "ndjson"
        self._width = 0
        self._feed = _Feed()
        self._reader = csv.reader(self._feed, strict=True)
        self.rows_read = 0
        self.rows_failed = 0

    def parse(self, records: list[tuple[int, bytes]]) -> list[Row]:
        out: list[Row] = []
        one = self._csv_row if self.fmt == "csv" else self._ndjson_row
        for line, record in records:
            if not self._header_done:
                self._header(line, record)
                continue
            self.rows_read += 1
            problems: list[RowError] = []
            row = one(line, record, problems)
            if problems:
                self.rows_failed += 1
                for problem in problems:
                    self._error(problem)
            elif row is not None:
                out.append(row)
        return out

    def finish(self) -> None:
        if not self._header_done:
            raise ImportFailed("the CSV file has no header row", field="header")

    # ---- CSV

    def _cells(self, record: bytes) -> list[str]:
        text = record.decode("utf-8")
        self._feed.line = text
        return next(self._reader)

    def _header(self, line: int, record: bytes) -> None:
        try:
            names = [n.strip() for n in self._cells(record)]
        except (UnicodeDecodeError, csv.Error) as exc:
            raise ImportFailed(f"line {line}: unreadable header: {exc}", field="header") from None
        specs: list[tuple[int, str, str]] = []
        for index, spec in enumerate(names):
            name, _, kind = spec.partition(":")
            name, kind = name.strip(), kind.strip().lower()
            if not name:
                raise ImportFailed(f"header column {index + 1} has no name", field="header")
            if any(name == seen for _, seen, _ in specs):
                raise ImportFailed(f"header names {name!r} twice", field="header")
            specs.append((index, name, kind))
        self._columns(specs)
        self._width = len(names)
        self._header_done = True

    def _columns(self, specs: list[tuple[int, str, str]]) -> None:
        """Learn the header's (index, name, type after a colon or "") columns, or raise
        ImportFailed naming the one that cannot be imported."""
        raise NotImplementedError

    def _csv_row(self, line: int, record: bytes, problems: list[RowError]) -> Row | None:
        try:
            cells = self._cells(record)
        except UnicodeDecodeError:
            problems.append(RowError(line, None, "not valid UTF-8"))
            return None
        except csv.Error as exc:
            problems.append(RowError(line, None, f"malformed CSV: {exc}"))
            return None
        if len(cells) != self._width:
            problems.append(
                RowError(line, None, f"expected {self._width} cells, found {len(cells)}")
            )
            return None
        return self._csv_values(line, cells, problems)

    def _csv_values(self, line: int, cells: list[str], problems: list[RowError]) -> Row | None:
        raise NotImplementedError

    # ---- NDJSON

    def _ndjson_row(self, line: int, record: bytes, problems: list[RowError]) -> Row | None:
        try:
            obj = _loads(record)
        except UnicodeDecodeError:
            problems.append(RowError(line, None, "not valid UTF-8"))
            return None
        except ValueError as exc:
            problems.append(RowError(line, None, f"invalid JSON: {exc}"))
            return None
        if not isinstance(obj, dict):
            problems.append(RowError(line, None, "expected a JSON object"))
            return None
        return self._ndjson_values(line, obj, problems)

    def _ndjson_values(
        self, line: int, obj: dict[str, Any], problems: list[RowError]
    ) -> Row | None:
        raise NotImplementedError


class RowParser(RecordParser[StagedRow]):
    """Profile rows: an id, the contact fields, attributes (typed by the CSV header)."""

    def __init__(self, fmt: Format, errors: Callable[[RowError], None]) -> None:
        super().__init__(fmt, errors)
        self._id = -1
        self._id_name = "profile_id"
        self._contact: list[tuple[int, str]] = []
        # (cell index, attribute name, converter or None for plain strings)
        self._attrs: list[tuple[int, str, Callable[[str], Any] | None]] = []

    # ---- CSV

    def _columns(self, specs: list[tuple[int, str, str]]) -> None:
        ids = [name for _, name, _ in specs if name in ID_FIELDS]
        if len(ids) > 1:
            raise ImportFailed(f"header names {ids[1]!r} twice", field="header")
        for index, name, kind in specs:
            if name in ID_FIELDS or name in CONTACT_FIELDS:
                if kind not in ("", "string"):
                    raise ImportFailed(f"header: {name!r} is always a string", field="header")
                if name in ID_FIELDS:
                    self._id, self._id_name = index, name
                else:
                    self._contact.append((index, name))
                continue
            convert = CONVERTERS.get(kind or "string")
            if convert is None:
                raise ImportFailed(
                    f"header: unknown type {kind!r} for column {name!r} "
                    f"(one of {', '.join(CONVERTERS)})",
                    field="header",
                )
            self._attrs.append((index, name, None if convert is _to_string else convert))
        if self._id < 0:
            raise ImportFailed(
                "the CSV header has no profile_id (or user_id) column", field="header"
            )

    def _csv_values(
        self, line: int, cells: list[str], problems: list[RowError]
    ) -> StagedRow | None:
        profile_id = cells[self._id].strip()
        problem = id_problem(profile_id)
        if problem:
            problems.append(RowError(line, self._id_name, problem))
        contact: dict[str, str | None] = dict.fromkeys(CONTACT_FIELDS)
        for index, name in self._contact:
            value = cells[index].strip()
            if value:
                value, problem = contact_value(name, value)
                if problem:
                    problems.append(RowError(line, name, problem))
                contact[name] = value
        attrs: dict[str, Any] = {}
        for index, name, convert in self._attrs:
            cell = cells[index]
            if not cell:
                continue
            if convert is None:
                attrs[name] = cell
                continue
            try:
                attrs[name] = convert(cell)
            except ValueError as exc:
                problems.append(RowError(line, name, str(exc)))
        return self._staged(line, profile_id, contact, None, attrs, None, problems)

    # ---- NDJSON

    def _ndjson_values(
        self, line: int, obj: dict[str, Any], problems: list[RowError]
    ) -> StagedRow | None:
        key = "profile_id" if "profile_id" in obj else "user_id"
        raw_id = obj.get(key)
        profile_id = ""
        if isinstance(raw_id, bool) or not isinstance(raw_id, str | int | None):
            problems.append(RowError(line, key, "must be a string or an integer"))
        else:
            profile_id = "" if raw_id is None else str(raw_id).strip()
            problem = id_problem(profile_id)
            if problem:
                problems.append(RowError(line, key, problem))
        contact: dict[str, str | None] = dict.fromkeys(CONTACT_FIELDS)
        unset: list[str] = []
        for name in CONTACT_FIELDS:
            if name not in obj:
                continue
            value = obj[name]
            if value is None:
                unset.append(name)
            elif not isinstance(value, str):
                problems.append(RowError(line, name, "must be a string or null"))
            elif value.strip():
                value, problem = contact_value(name, value.strip())
                if problem:
                    problems.append(RowError(line, name, problem))
                contact[name] = value
        attrs = {k: v for k, v in obj.items() if k not in _NDJSON_RESERVED}
        nested = obj.get("attributes", {})
        if isinstance(nested, dict):
            attrs.update(nested)
        elif nested is not None:
            problems.append(RowError(line, "attributes", "must be an object"))
        removed = [k for k, v in attrs.items() if v is None]
        for k in removed:
            del attrs[k]
        return self._staged(line, profile_id, contact, unset, attrs, removed, problems)

    def _staged(
        self,
        line: int,
        profile_id: str,
        contact: dict[str, str | None],
        unset: list[str] | None,
        attrs: dict[str, Any],
        removed: list[str] | None,
        problems: list[RowError],
    ) -> StagedRow | None:
        tokens = attrs.get("push_tokens")
        checked = None if tokens is None else addresses.push_tokens(tokens)
        if isinstance(checked, addresses.Invalid):
            index = "" if checked.index is None else f"[{checked.index}]"
            problems.append(RowError(line, f"push_tokens{index}", checked.reason))
        text, problem = attributes_json(attrs, check_surrogates=self.fmt == "ndjson")
        if problem:
            problems.append(RowError(line, "attributes", problem))
        if problems or text is None:
            return None
        return (
            line,
            profile_id,
            contact["email"],
            contact["phone"],
            contact["timezone"],
            unset or None,
            text,
            removed or None,
        )


_NDJSON_RESERVED = frozenset({*ID_FIELDS, *CONTACT_FIELDS, "attributes"})


def format_for(name: str) -> Format | None:
    """The format a file name implies (`.csv`, `.ndjson`, `.jsonl`, each maybe `.gz`)."""
    low = name.lower().removesuffix(".gz")
    if low.endswith(".csv"):
        return "csv"
    if low.endswith((".ndjson", ".jsonl", ".json")):
        return "ndjson"
    return None
