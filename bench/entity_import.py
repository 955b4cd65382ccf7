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
import functools
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from bench.profile_import import (
    generated,
    import_arguments,
    import_twice,
    in_a_temporary_folder,
    migrated_postgres,
    raw_copy,
    run_import,
    show_baseline,
)
from db.pool import create_pool
from entities.model import Definition
from imports.rows import Format
from services.entities import save_type
from services.entity_imports import import_entities
from services.imports import ImportReport

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


async def bookings(conn: Any, chunks: AsyncIterator[bytes], fmt: Format, name: str) -> ImportReport:
    return await import_entities(conn, "booking", chunks, fmt=fmt, source="cli", filename=name)


BARE = f"CREATE TABLE bare ({', '.join(f'{c} text' for c in COLUMNS)})"


async def bench(args: argparse.Namespace, root: Path) -> None:
    async with migrated_postgres(root, args.pg_fast) as dsn:
        pool = await create_pool(dsn)
        try:
            await save_type(pool, "booking", BOOKING)
        finally:
            await pool.close()
        path = root / f"bookings.{args.format}"
        size = generated(path, args.rows, args.format, generate)
        run = functools.partial(run_import, start=bookings)
        rate = await import_twice(run, dsn, path, args.format, "records", size)
        show_baseline(args.rows, await raw_copy(dsn, path, args.format, BARE), rate)


def main() -> None:
    args = import_arguments(__doc__).parse_args()
    in_a_temporary_folder(args, "wayline-entity-import-bench-", bench)


if __name__ == "__main__":
    main()
