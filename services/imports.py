"""Bulk import: a byte stream (API upload or file) into `profiles` or an entity type, via COPY.

The stream is read chunk by chunk (gzip is detected by its magic bytes and inflated in
bounded pieces), framed by `imports.rows`, validated by the target's parser, and every
`chunk_rows` valid rows are sent with `copy_records_to_table` into a TEMP staging table;
memory holds one chunk, never the file. At the end, in one transaction, duplicates are
dropped (the last row of an id wins) and the rows are merged with set-based statements, so
statement-level triggers (audience re-evaluation) fire once per statement, not per row.
Either every valid row is applied or none; invalid rows are skipped and reported by line.
What differs between targets is a `Target`: profiles (here: an UPDATE of existing
profiles, an INSERT of new ones) or an entity type (services/entity_imports.py).

Each import is a `profile_imports` row (`entity_type` says which target): created
`running`, its counts updated after each chunk (a long upload can be watched), finished
`succeeded` or `failed`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
import zlib
from collections.abc import AsyncIterable, AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeAlias

import asyncpg

from db.sql import q
from imports.rows import (
    STAGED_COLUMNS,
    Format,
    Framer,
    ImportFailed,
    RecordParser,
    RowError,
    RowParser,
)

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

    Conn: TypeAlias = asyncpg.Connection | PoolConnectionProxy[asyncpg.Record]
else:
    Conn: TypeAlias = object

Source = Literal["api", "cli"]
CHUNK_ROWS = 10_000
MERGE_ATTEMPTS = 3
MAX_ERRORS = 100
INFLATE_PIECE = 1 << 20
"""Largest piece one gzip chunk may inflate to at once: a small compressed chunk can
expand a thousand-fold, so inflation is bounded rather than trusted."""
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass
class ImportReport:
    """What happened to an import: counts, the first `MAX_ERRORS` errors, and the total."""

    id: uuid.UUID
    format: Format
    source: Source
    filename: str | None = None
    entity_type: str | None = None  # None: profiles
    dry_run: bool = False
    status: str = "running"
    bytes_read: int = 0
    rows_read: int = 0
    rows_valid: int = 0
    rows_failed: int = 0
    duplicates: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    error_count: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    error_field: str | None = None
    too_large: bool = False  # failed because the data exceeds the size limit
    stage_seconds: float = 0.0  # reading, validating and COPY (not stored; for bench/)
    merge_seconds: float = 0.0
    merge_retries: int = 0


class _Inflater:
    """Passes bytes through, or gunzips them when the stream starts with the gzip magic."""

    def __init__(self) -> None:
        self._decided = False
        self._head = b""
        self._z: Any = None

    def feed(self, data: bytes) -> list[bytes]:
        if not self._decided:
            self._head += data
            if len(self._head) < len(_GZIP_MAGIC):
                return []
            data, self._head = self._head, b""
            self._decided = True
            if data.startswith(_GZIP_MAGIC):
                self._z = zlib.decompressobj(wbits=31)
        if self._z is None:
            return [data]
        return self._inflate(data)

    def close(self) -> list[bytes]:
        if not self._decided:
            self._decided = True
            return [self._head] if self._head else []
        if self._z is None:
            return []
        out = self._inflate(b"")
        if not self._z.eof:
            raise ImportFailed("the gzip stream is truncated", field="body")
        return out

    def _inflate(self, data: bytes) -> list[bytes]:
        out: list[bytes] = []
        try:
            while True:
                if self._z.eof:
                    # Concatenated gzip members (`cat a.gz b.gz`) are one stream.
                    rest = self._z.unused_data + data
                    if not rest:
                        break
                    self._z = zlib.decompressobj(wbits=31)
                    data = rest
                piece = self._z.decompress(data, INFLATE_PIECE)
                data = self._z.unconsumed_tail
                if piece:
                    out.append(piece)
                if not data and not self._z.eof:
                    break
        except zlib.error as exc:
            raise ImportFailed(f"invalid gzip data: {exc}", field="body") from None
        return out


class Target(Protocol):
    """What an import writes to: its rows' parser, its staging table and its merge.

    One pipeline (inflate, frame, parse, COPY, merge, record the job) serves every target;
    profiles are one (below), an entity type's records another (services/entity_imports.py).
    """

    @property
    def entity_type(self) -> str | None:
        """Kept on the job; None: profiles."""

    @property
    def staging(self) -> str:
        """The TEMP table rows are copied into."""

    @property
    def columns(self) -> Sequence[str]: ...

    def parser(self, fmt: Format, errors: Callable[[RowError], None]) -> RecordParser[Any]: ...

    async def create_staging(self, conn: Conn) -> None: ...

    async def drop_staging(self, conn: Conn) -> None: ...

    async def merge(self, conn: Conn, report: ImportReport) -> None:
        """Inside the merge transaction: set `duplicates`, `created` and `updated`."""


class _Profiles:
    """Rows into `profiles`: attributes merge, contact fields replace (db/queries/imports.sql)."""

    entity_type = None
    staging = "profile_import_rows"
    columns = STAGED_COLUMNS

    def parser(self, fmt: Format, errors: Callable[[RowError], None]) -> RecordParser[Any]:
        return RowParser(fmt, errors)

    async def create_staging(self, conn: Conn) -> None:
        await conn.execute(q("import_create_staging"))

    async def drop_staging(self, conn: Conn) -> None:
        await conn.execute(q("import_drop_staging"))

    async def merge(self, conn: Conn, report: ImportReport) -> None:
        report.duplicates = _count(await conn.execute(q("import_drop_duplicates")))
        report.updated = _count(await conn.execute(q("import_update_profiles")))
        report.created = _count(await conn.execute(q("import_insert_profiles")))


PROFILES: Target = _Profiles()


async def import_profiles(
    conn: Conn, chunks: AsyncIterable[bytes], *, fmt: Format, **options: Any
) -> ImportReport:
    """Import profiles from one stream: `run_import` into `profiles`."""
    return await run_import(conn, chunks, PROFILES, fmt=fmt, **options)


async def run_import(
    conn: Conn,
    chunks: AsyncIterable[bytes],
    target: Target,
    *,
    fmt: Format,
    source: Source,
    filename: str | None = None,
    dry_run: bool = False,
    max_bytes: int | None = None,
    chunk_rows: int = CHUNK_ROWS,
    max_errors: int = MAX_ERRORS,
    import_id: uuid.UUID | None = None,
) -> ImportReport:
    """Import one stream on `conn` (a pool connection or a plain one) and record it.

    Problems with the data end in the report (`status` `failed` and `error` when the
    file cannot be read on); other exceptions (database, client gone) mark the import
    failed and propagate. `dry_run` validates and counts, then rolls the merge back.
    """
    report = ImportReport(
        id=import_id or uuid.uuid4(),
        format=fmt,
        source=source,
        filename=filename,
        dry_run=dry_run,
        entity_type=target.entity_type,
    )
    await conn.execute(
        q("import_insert_job"), report.id, fmt, source, filename, dry_run, target.entity_type
    )
    await target.drop_staging(conn)
    await target.create_staging(conn)
    try:
        started = time.monotonic()
        await _stage(conn, chunks, target, report, max_bytes, chunk_rows, max_errors)
        staged = time.monotonic()
        await _merge(conn, target, report, dry_run)
        report.stage_seconds, report.merge_seconds = staged - started, time.monotonic() - staged
        report.status = "succeeded"
    except ImportFailed as exc:
        report.status, report.error, report.error_field = "failed", exc.message, exc.field
        report.too_large = exc.too_large
    except BaseException as exc:
        report.status, report.error = "failed", f"{type(exc).__name__}: {exc}".rstrip(": ")
        await _finish(conn, target, report, quiet=True)
        raise
    await _finish(conn, target, report)
    return report


async def _stage(
    conn: Conn,
    chunks: AsyncIterable[bytes],
    target: Target,
    report: ImportReport,
    max_bytes: int | None,
    chunk_rows: int,
    max_errors: int,
) -> None:
    def on_error(err: RowError) -> None:
        report.error_count += 1
        if len(report.errors) < max_errors:
            report.errors.append(err.as_dict())

    inflater = _Inflater()
    framer = Framer(report.format)
    parser = target.parser(report.format, on_error)
    buffer: list[Any] = []
    inflated = 0
    # One COPY in flight while the next chunk is parsed: PostgreSQL ingests on its own core.
    copying: asyncio.Task[int] | None = None

    async def copy(rows: list[Any]) -> int:
        await conn.copy_records_to_table(
            target.staging, records=rows, columns=target.columns, schema_name="pg_temp"
        )
        return len(rows)

    async def settle() -> None:
        nonlocal copying
        if copying is not None:
            task, copying = copying, None
            report.rows_valid += await task

    async def flush() -> None:
        nonlocal buffer, copying
        await settle()  # the connection is free again
        report.rows_read, report.rows_failed = parser.rows_read, parser.rows_failed
        await conn.execute(
            q("import_progress"),
            report.id,
            report.bytes_read,
            report.rows_read,
            report.rows_valid,
            report.rows_failed,
        )
        if buffer:
            copying = asyncio.create_task(copy(buffer))
            buffer = []

    try:
        async for chunk in chunks:
            report.bytes_read += len(chunk)
            for data in inflater.feed(chunk):
                inflated += len(data)
                if max_bytes is not None and inflated > max_bytes:
                    raise ImportFailed(
                        f"the data exceeds the limit of {max_bytes} bytes",
                        field="body",
                        too_large=True,
                    )
                buffer.extend(parser.parse(framer.feed(data)))
                if len(buffer) >= chunk_rows:
                    await flush()
        for data in inflater.close():
            buffer.extend(parser.parse(framer.feed(data)))
        buffer.extend(parser.parse(framer.close()))
        parser.finish()
        await flush()
        await settle()
    finally:
        if copying is not None:  # failing: let the COPY in flight end before the connection
            with contextlib.suppress(Exception):  # is used again; its own error is secondary
                report.rows_valid += await copying


async def _merge(conn: Conn, target: Target, report: ImportReport, dry_run: bool) -> None:
    """Merge, again on a deadlock: rows locked in another order by a concurrent writer (an
    API PATCH, another import) abort the whole transaction, but the staged rows are intact
    (staged outside it), so the merge simply runs again."""
    for attempt in range(1, MERGE_ATTEMPTS + 1):
        try:
            await _merge_once(conn, target, report, dry_run)
            return
        except (asyncpg.DeadlockDetectedError, asyncpg.SerializationError):
            if attempt == MERGE_ATTEMPTS:
                raise
            report.merge_retries += 1


async def _merge_once(conn: Conn, target: Target, report: ImportReport, dry_run: bool) -> None:
    tr = conn.transaction()
    await tr.start()
    try:
        await conn.execute(q("import_merge_work_mem"))
        await target.merge(conn, report)
        report.unchanged = report.rows_valid - report.duplicates - report.updated - report.created
    except BaseException:
        await tr.rollback()
        raise
    if dry_run:
        await tr.rollback()
    else:
        await tr.commit()


async def _finish(conn: Conn, target: Target, report: ImportReport, *, quiet: bool = False) -> None:
    """Record the outcome and drop the staging table; `quiet` (already failing): do what
    still can be done, and let the original exception be the one raised."""
    try:
        if conn.is_in_transaction():
            return  # an aborted COPY or merge: the caller's exception says it all
        await target.drop_staging(conn)
        await conn.execute(
            q("import_finish_job"),
            report.id,
            report.status,
            report.bytes_read,
            report.rows_read,
            report.rows_valid,
            report.rows_failed,
            report.duplicates,
            report.created,
            report.updated,
            report.unchanged,
            report.error_count,
            json.dumps(report.errors),
            report.error,
        )
    except Exception:
        if not quiet:
            raise


def _count(status: str) -> int:
    """The row count of a command tag: `UPDATE 12`, `INSERT 0 5`, `DELETE 3`."""
    return int(status.rsplit(" ", 1)[-1])


async def read_file_chunks(
    read: Callable[[int], bytes],
    size: int = 1 << 20,
    on_read: Callable[[int], object] | None = None,
) -> AsyncIterator[bytes]:
    """Chunks from a blocking `read(n)` (a file), each reported to `on_read(n)` if given."""
    while True:
        data = await asyncio.to_thread(read, size)
        if not data:
            return
        if on_read is not None:
            on_read(len(data))
        yield data


async def read_job(conn: Any, import_id: uuid.UUID) -> dict[str, Any] | None:
    """An import's row as a dict (errors decoded whether or not the pool has JSON codecs)."""
    row = await conn.fetchrow(q("import_read_job"), import_id)
    if row is None:
        return None
    job = dict(row)
    if isinstance(job["errors"], str):
        job["errors"] = json.loads(job["errors"])
    return job
