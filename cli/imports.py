"""`wayline import profiles FILE`, `wayline import entities TYPE FILE`: a CSV or NDJSON file
(maybe gzip) straight into Postgres.

The file is streamed to `DATABASE_URL` by the same importer as the API
(`services.imports`, `services.entity_imports`), with a progress bar over the bytes read.
Exit codes: 0 every row was imported; 1 some rows were rejected (the valid ones are
imported, the errors printed); 2 nothing was imported (unreadable file, bad header, unknown
entity type, usage).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import IO, Any

from cli.database import connect
from core.settings import Settings
from imports.rows import FORMATS, Format, format_for

SHOWN_ERRORS = 20
EXIT_OK, EXIT_ROWS_FAILED, EXIT_NOTHING_IMPORTED = 0, 1, 2


def add_parser(sub: Any) -> None:
    """Register `import profiles FILE` and `import entities TYPE FILE` on `wayline`."""
    i = sub.add_parser("import", help="bulk-import profiles or entity records from a file")
    what = i.add_subparsers(dest="what", required=True, metavar="{profiles,entities}")
    profiles = what.add_parser("profiles", help="profiles from a CSV or NDJSON file")
    entities = what.add_parser("entities", help="records of an entity type from a file")
    entities.add_argument("type", help="the entity type (see GET /v1/entity-types)")
    for p in (profiles, entities):
        p.add_argument("file", type=Path, help="a .csv, .ndjson or .jsonl file, maybe .gz; - stdin")
        p.add_argument("--format", choices=FORMATS, help="default: from the file name")
        p.add_argument("--dry-run", action="store_true", help="validate and count, change nothing")
        p.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(settings: Settings, args: argparse.Namespace) -> int:
    fmt: Format | None = args.format or format_for(args.file.name)
    if fmt is None:
        print(f"{args.file}: cannot tell the format, pass --format csv|ndjson", file=sys.stderr)
        return EXIT_NOTHING_IMPORTED
    if str(args.file) == "-":  # a pipe: `zcat people.csv.gz | wayline import profiles - ...`
        return asyncio.run(_import(settings, args, fmt, sys.stdin.buffer, None))
    try:
        source = args.file.open("rb")
    except OSError as exc:
        print(f"{args.file}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_NOTHING_IMPORTED
    with source:
        size = args.file.stat().st_size
        return asyncio.run(_import(settings, args, fmt, source, size))


async def _import(
    settings: Settings, args: argparse.Namespace, fmt: Format, source: IO[bytes], size: int | None
) -> int:
    import asyncpg
    from tqdm import tqdm

    from services.entity_imports import import_entities
    from services.errors import NotFound
    from services.imports import import_profiles, read_file_chunks

    conn = await connect(settings)
    if conn is None:
        return EXIT_NOTHING_IMPORTED
    bar = tqdm(
        total=size,  # None (a pipe): bytes and rate without a percentage
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        desc="stdin" if str(args.file) == "-" else args.file.name,
        disable=True if args.no_progress else None,  # None: only on a terminal
        file=sys.stderr,
    )
    chunks = read_file_chunks(source.read, on_read=bar.update)
    options: dict[str, Any] = {
        "fmt": fmt,
        "source": "cli",
        "filename": None if str(args.file) == "-" else args.file.name,
        "dry_run": args.dry_run,
    }
    try:
        if args.what == "entities":
            report = await import_entities(conn, args.type, chunks, **options)
        else:
            report = await import_profiles(conn, chunks, **options)
    except asyncpg.UndefinedTableError as exc:
        print(f"{exc}: run `wayline migrate` first", file=sys.stderr)
        return EXIT_NOTHING_IMPORTED
    except NotFound as exc:
        print(f"{args.file}: {exc}", file=sys.stderr)
        return EXIT_NOTHING_IMPORTED
    finally:
        bar.close()
        await conn.close()
    if report.status != "succeeded":
        print(f"{args.file}: import {report.id} failed: {report.error}", file=sys.stderr)
        return EXIT_NOTHING_IMPORTED
    verb = "would import" if report.dry_run else "imported"
    print(
        f"{args.file}: {verb} {report.rows_valid:,} of {report.rows_read:,} rows "
        f"({report.created:,} created, {report.updated:,} updated, "
        f"{report.unchanged:,} unchanged, {report.duplicates:,} duplicates); "
        f"{report.rows_failed:,} rejected; import {report.id}"
    )
    for err in report.errors[:SHOWN_ERRORS]:
        where = f"{err['field']}: " if err["field"] else ""
        print(f"{args.file}:{err['line']}: {where}{err['message']}", file=sys.stderr)
    if report.error_count > SHOWN_ERRORS:
        more = report.error_count - SHOWN_ERRORS
        print(f"... and {more:,} more errors", file=sys.stderr)
    return EXIT_ROWS_FAILED if report.rows_failed else EXIT_OK
