"""Bulk import of N booking records (default 1,000,000) against a raw COPY of the same file.

    .venv/bin/python -m bench.entity_import [--rows N] [--format csv|ndjson] [--pg-fast]

Starts an embedded PostgreSQL in a temporary folder (durable like `wayline dev` unless
--pg-fast), defines a `booking` entity type (string key, number, enum, timestamp, boolean,
a relation to the profile), writes the file row by row (1 row in 10,000 invalid), then:
1. imports it with `services.entity_imports.import_entities` (what the API and the CLI run)
   into the empty table: rows/s, staging and merge times, peak RSS before and after;
2. imports it again (every row unchanged: the merge compares and writes nothing);
3. baseline: `COPY bare FROM` the same file into a bare table of text columns, through
   asyncpg in this process — the floor for moving these bytes into Postgres.
The last line is `ratio=<import rows/s ÷ raw COPY rows/s>`. Helpers are the profile
import bench's (`bench/profile_import.py`).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import asyncpg

from bench.profile_import import (
    generated,
    import_arguments,
    import_twice,
    in_a_temporary_folder,
    migrated_postgres,
    show_baseline,
)
from db.pool import create_pool
from entities.model import Definition
from imports.rows import Format
from services.entities import save_type
from services.entity_imports import import_entities
from services.imports import ImportReport, read_file_chunks

COLUMNS = ("booking_id", "nights", "status", "departure", "paid", "guest")
BOOKING = Definition.model_validate(
    {
        "fields": {
            "booking_id": {"type": "string"},
            "nights": {"type": "number", "required": True},
            "status": {"type": "enum", "values": ["held", "confirmed", "cancelled"]},
            "departure": {"type": "timestamp"},
            "paid": {"type": "boolean"},
        },
        "primary_key": "booking_id",
        "relations": {"guest": {"to": "profile"}},
    }
)
STATUSES = ("held", "confirmed", "cancelled")


def generate(path: Path, rows: int, fmt: Format) -> None:
    """Written in blocks of 10,000 rows: the file is never in memory either."""
    with path.open("w") as out:
        if fmt == "csv":
            out.write(",".join(COLUMNS) + "\n")
        for start in range(0, rows, 10_000):
            block = []
            for i in range(start, min(start + 10_000, rows)):
                nights: object = "lots" if i % 10_000 == 9_999 else 1 + i % 14
                when = f"2027-{1 + i % 12:02d}-{1 + i % 28:02d}T10:00:00+00:00"
                values = (f"b{i}", nights, STATUSES[i % 3], when, i % 2 == 0, f"u{i // 3}")
                if fmt == "csv":
                    block.append(",".join(map(str, values)) + "\n")
                else:
                    block.append(json.dumps(dict(zip(COLUMNS, values, strict=True))) + "\n")
            out.write("".join(block))


async def run_import(dsn: str, path: Path, fmt: Format) -> tuple[ImportReport, float]:
    conn = await asyncpg.connect(dsn)
    try:
        with path.open("rb") as source:
            started = time.perf_counter()
            report = await import_entities(
                conn, "booking", read_file_chunks(source.read), fmt=fmt, source="cli"
            )
            return report, time.perf_counter() - started
    finally:
        await conn.close()


async def raw_copy(dsn: str, path: Path, fmt: Format) -> float:
    conn = await asyncpg.connect(dsn)
    try:
        cols = ", ".join(f"{c} text" for c in COLUMNS) if fmt == "csv" else "doc text"
        await conn.execute(f"CREATE TABLE bare ({cols})")
        options = {"header": True} if fmt == "csv" else {"delimiter": "\x01", "quote": "\x02"}
        started = time.perf_counter()
        await conn.copy_to_table("bare", source=path, format="csv", **options)
        return time.perf_counter() - started
    finally:
        await conn.close()


async def bench(args: argparse.Namespace, root: Path) -> None:
    async with migrated_postgres(root, args.pg_fast) as dsn:
        pool = await create_pool(dsn)
        try:
            await save_type(pool, "booking", BOOKING)
        finally:
            await pool.close()
        path = root / f"bookings.{args.format}"
        size = generated(path, args.rows, args.format, generate)
        rate = await import_twice(run_import, dsn, path, args.format, "records", size)
        show_baseline(args.rows, await raw_copy(dsn, path, args.format), rate)


def main() -> None:
    args = import_arguments(__doc__).parse_args()
    in_a_temporary_folder(args, "wayline-entity-import-bench-", bench)


if __name__ == "__main__":
    main()
