"""A CSV export of an N-member audience (default 1,000,000) against a bare COPY of the same
rows, in the same run.

    .venv/bin/python -m bench.export [--members N] [--pg-fast]

Starts an embedded PostgreSQL in a temporary folder, fills `profiles`, one audience's
`audience_members` and every member's consent to the purpose with set-based SQL, then:
1. exports it with `activities.destinations.files.export_file` (what the file activity
   runs: server-side cursor, rows encoded a block at a time) as plain CSV, then as gzip
   CSV (the default), each with its time, rows/s, bytes and the rise of this process's
   peak RSS (`resource.getrusage`) during the export;
2. baseline: `COPY (<the same rows, consent included>) TO STDOUT WITH CSV` through asyncpg
   into a file: the floor for moving these rows out of Postgres.
The last line is `ratio=<plain CSV export seconds ÷ bare COPY seconds>`.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from activities.destinations.files import export_file
from bench.profile_import import ready
from core.destinations import DestinationSpec
from db.migrate import migrate_url
from db.pool import create_pool
from workers.embedded import EmbeddedPostgres, free_port

AUDIENCE = "bench-export"
PURPOSE = "crm"
FIELDS = ["profile_id", "email", "timezone", "attributes.plan", "attributes.ltv"]
FILL = [
    """INSERT INTO profiles (profile_id, email, timezone, attributes)
       SELECT 'u' || i, 'u' || i || '@example.com', 'Europe/Paris',
              jsonb_build_object('plan', (ARRAY['free', 'pro', 'team'])[1 + i % 3],
                                 'ltv', i % 1000, 'note', 'a, "quoted" note')
       FROM generate_series(1, $1::int) AS i""",
    """INSERT INTO audiences (audience_id, name, definition)
       VALUES ('bench-export', 'bench', '{"attribute": "plan", "op": "exists"}')""",
    """INSERT INTO audience_members (audience_id, profile_id)
       SELECT 'bench-export', 'u' || i FROM generate_series(1, $1::int) AS i""",
    """INSERT INTO subscriptions (profile_id, channel, topic, status)
       SELECT 'u' || i, 'purpose', 'crm', 'subscribed' FROM generate_series(1, $1::int) AS i""",
]
BARE = """
    SELECT m.profile_id, p.email, p.timezone, p.attributes ->> 'plan', p.attributes ->> 'ltv'
    FROM audience_members m JOIN profiles p ON p.profile_id = m.profile_id
    WHERE m.audience_id = 'bench-export'
      AND EXISTS (SELECT 1 FROM subscriptions s WHERE s.profile_id = m.profile_id
                  AND s.channel = 'purpose' AND s.topic = 'crm' AND s.status = 'subscribed')
    ORDER BY m.profile_id"""


def log(msg: str) -> None:
    print(f"# {msg}", file=sys.stderr, flush=True)


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def spec(gzipped: bool) -> DestinationSpec:
    return DestinationSpec.model_validate(
        {
            "kind": "file",
            "audience": AUDIENCE,
            "purpose": PURPOSE,
            "fields": FIELDS,
            "file": {"format": "csv", "gzip": gzipped, "target": {"type": "local"}},
        }
    )


async def fill(dsn: str, members: int) -> None:
    pool = await create_pool(dsn, max_size=2)
    try:
        for sql in FILL:
            started = time.perf_counter()
            await pool.execute(sql, members) if "$1" in sql else await pool.execute(sql)
            log(f"{sql.split()[2]}: {time.perf_counter() - started:.1f} s")
        await pool.execute("ANALYZE")
    finally:
        await pool.close()


async def export(dsn: str, root: Path, gzipped: bool) -> tuple[float, int, int, float]:
    """Seconds, rows, bytes and the rise of the peak RSS (MiB) of one export."""
    pool = await create_pool(dsn, max_size=2)
    try:
        before = peak_rss_mib()
        started = time.perf_counter()
        run = f"destination:bench:run:{'gz' if gzipped else 'plain'}"
        out = await export_file(pool, "bench", run, spec(gzipped), root, frozenset())
        return time.perf_counter() - started, out.rows, out.bytes, peak_rss_mib() - before
    finally:
        await pool.close()


async def bare_copy(dsn: str, path: Path) -> float:
    pool = await create_pool(dsn, max_size=2)
    try:
        started = time.perf_counter()
        async with pool.acquire() as conn:
            await conn.copy_from_query(BARE, output=str(path), format="csv")  # COPY (…) TO STDOUT
        return time.perf_counter() - started
    finally:
        await pool.close()


def same_rows(plain: Path, gz: Path, bare: Path) -> None:
    """The three files hold the same rows (the exports have a header line)."""
    with plain.open() as a, gzip.open(gz, "rt") as b, bare.open() as c:
        assert next(a) == next(b)
        for x, y, z in zip(a, b, c, strict=True):
            assert x == y == z, (x, y, z)


async def bench(args: argparse.Namespace, root: Path) -> None:
    pg = EmbeddedPostgres(root / "pg", free_port(), durable=not args.pg_fast)
    pg.start()
    try:
        dsn = pg.url
        await ready(dsn)
        await migrate_url(dsn, create=True)
        await fill(dsn, args.members)
        results = {}
        for gzipped in (False, True):
            seconds, rows, size, rise = await export(dsn, root, gzipped)
            results[gzipped] = seconds
            print(
                f"export csv{' gzip' if gzipped else ''}: {rows:,} rows in {seconds:.1f} s = "
                f"{rows / seconds:,.0f} rows/s, {size / 2**20:.1f} MiB, "
                f"peak RSS rose {rise:.0f} MiB (to {peak_rss_mib():.0f} MiB)"
            )
        bare_path = root / "bare.csv"
        copy_seconds = await bare_copy(dsn, bare_path)
        print(
            f"baseline bare COPY ... TO STDOUT (csv, same rows): {copy_seconds:.1f} s = "
            f"{args.members / copy_seconds:,.0f} rows/s, "
            f"{bare_path.stat().st_size / 2**20:.1f} MiB"
        )
        same_rows(root / "bench-plain.csv", root / "bench-gz.csv.gz", bare_path)
        print(f"peak RSS at the end: {peak_rss_mib():.0f} MiB")
        print(f"ratio={results[False] / copy_seconds:.2f}")
    finally:
        pg.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--pg-fast", action="store_true", help="fsync off (not durable)")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="wayline-bench-export-"))
    try:
        asyncio.run(bench(args, root))
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
