"""A file export: an audience's consenting members (full) or its changes since the last
file (incremental), as CSV or NDJSON, gzip, to a local directory or SFTP.

Memory stays flat whatever the audience's size: rows come through a server-side cursor in
one repeatable-read snapshot, are encoded a few thousand at a time and compressed as they
go, and the compressed bytes are written out as soon as there are enough of them. The
snapshot's horizon (its oldest running transaction) is recorded with the run, so the next
incremental file starts exactly there: a change is in at least one file, never in none.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from activities.destinations.entity_records import EntityRecords
from activities.destinations.records import CsvLines, Fields
from activities.destinations.sinks import Sink, open_sink
from core.destinations import DestinationSpec, FileSpec, attribute_paths, entity_types
from db.sql import q

PREFETCH = 5000
ENCODE_ROWS = 2000
FLUSH_BYTES = 1 << 20


@dataclass
class Written:
    rows: int
    bytes: int
    location: str
    horizon: str
    since: str | None


class Encoder:
    """Rows → (gzip) bytes, a block at a time."""

    def __init__(self, spec: FileSpec, fields: Fields) -> None:
        self.fields = fields
        self.csv = CsvLines() if spec.format == "csv" else None
        self.zip = zlib.compressobj(6, zlib.DEFLATED, 31) if spec.gzip else None

    def header(self) -> bytes:
        return self._pack(self.csv.lines([self.fields.names]) if self.csv else "")

    def block(self, rows: list[Mapping[str, Any]]) -> bytes:
        if self.csv is not None:
            return self._pack(self.csv.lines([self.fields.values(r) for r in rows]))
        return self._pack("".join(self.fields.ndjson(r) for r in rows))

    def end(self) -> bytes:
        return self.zip.flush() if self.zip is not None else b""

    def _pack(self, text: str) -> bytes:
        data = text.encode()
        return self.zip.compress(data) if self.zip is not None else data


def filename(name: str, run_id: str, spec: FileSpec) -> str:
    """Stable per run, so a retried run overwrites its own file: the run's part of its
    workflow id (`destination:<name>:run:<run>`), colons dropped (a Schedule's runs end in
    their time, `scheduled-2026-12-03T06:00:00Z`)."""
    suffix = run_id.split(":run:", 1)[-1].replace(":", "")
    return f"{name}-{suffix}.{spec.format}" + (".gz" if spec.gzip else "")


async def export_file(
    pool: asyncpg.Pool,
    name: str,
    run_id: str,
    spec: DestinationSpec,
    export_dir: Path | None,
    allowed_hosts: frozenset[str],
) -> Written:
    """Write the whole file, then rename it into place; a failure leaves no file."""
    assert spec.file is not None
    since = (
        await pool.fetchval(q("last_file_horizon"), name)
        if spec.file.mode == "incremental"
        else None
    )
    incremental = since is not None or spec.file.mode == "incremental"
    fields = Fields(spec.fields, extra=("change",) if incremental else ())
    encoder = Encoder(spec.file, fields)
    sink = await open_sink(
        spec.file.target, filename(name, run_id, spec.file), export_dir, allowed_hosts
    )
    try:
        written = await _write(pool, spec, since, incremental, encoder, sink)
    except BaseException:
        await sink.abort()
        raise
    await sink.commit()
    return Written(written[0], written[1], sink.location, written[2], since)


async def _write(
    pool: asyncpg.Pool,
    spec: DestinationSpec,
    since: str | None,
    incremental: bool,
    encoder: Encoder,
    sink: Sink,
) -> tuple[int, int, str]:
    rows = size = 0
    pending = bytearray(encoder.header())
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        horizon = await conn.fetchval(q("snapshot_horizon"))
        async for block in _blocks(conn, spec, since, horizon, incremental):
            rows += len(block)
            pending += encoder.block(block)
            if len(pending) >= FLUSH_BYTES:
                size += len(pending)
                await sink.write(bytes(pending))
                pending.clear()
    pending += encoder.end()
    size += len(pending)
    await sink.write(bytes(pending))
    return rows, size, horizon


async def _blocks(
    conn: Any,
    spec: DestinationSpec,
    since: str | None,
    horizon: str,
    incremental: bool,
) -> AsyncIterator[list[Mapping[str, Any]]]:
    as_text = spec.file is not None and spec.file.format == "csv"
    paths = attribute_paths(spec.fields)
    args: tuple[Any, ...]
    if since is not None:
        query, args = (
            q("change_rows"),
            (spec.audience, since, horizon, spec.purpose, paths, as_text),
        )
    else:
        query, args = q("member_rows"), (spec.audience, spec.purpose, paths, "", as_text, None)
    records = await EntityRecords.of(conn, entity_types(spec.fields))
    block: list[Any] = []
    async for row in conn.cursor(query, *args, prefetch=PREFETCH):
        block.append({**row, "change": "entered"} if incremental and since is None else row)
        if len(block) >= ENCODE_ROWS:
            yield list(await records.attach(conn, block))
            block = []
    if block:
        yield list(await records.attach(conn, block))
