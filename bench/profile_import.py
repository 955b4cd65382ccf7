"""Bulk profile import of N rows (default 1,000,000) against a raw COPY of the same file.

    .venv/bin/python -m bench.profile_import [--rows N] [--format csv|ndjson] [--pg-fast] [--api]

Starts an embedded PostgreSQL in a temporary folder (durable like `wayline dev` unless
--pg-fast), writes the file row by row (1 row in 10,000 invalid), then:
1. imports it with `services.imports.import_profiles` (what the API and the CLI run) into an
   empty `profiles` table: rows/s, the staging (read + validate + COPY) and merge times,
   and the peak RSS of this process before and after (`resource.getrusage`);
2. imports it again (every row unchanged: the merge compares and writes nothing);
   with --api, once more through `POST /v1/profiles/import` on an in-process uvicorn,
   with the rise of the process's RSS high-water mark during the upload;
3. baseline: `COPY bare FROM` the same file into a bare table with one text column per
   field, through asyncpg in this process — the floor for moving these bytes into Postgres.
The last line is `ratio=<import rows/s ÷ raw COPY rows/s>`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

import asyncpg

from db.migrate import migrate_url
from imports.rows import Format
from services.imports import ImportReport, import_profiles, read_file_chunks
from workers.embedded import EmbeddedPostgres, free_port

ZONES = ("Europe/Paris", "America/New_York", "Asia/Tokyo", "UTC")
PLANS = ("free", "pro", "team")
CSV_HEADER = "profile_id,email,phone,timezone,plan,age:integer,vip:boolean,ltv:number\n"
BARE = (
    "CREATE TABLE bare (profile_id text, email text, phone text, timezone text, plan text, "
    "age text, vip text, ltv text)"
)


def log(msg: str) -> None:
    print(f"# {msg}", file=sys.stderr, flush=True)


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def generate(path: Path, rows: int, fmt: Format) -> None:
    """Written in blocks of 10,000 rows: the file is never in memory either."""
    with path.open("w") as out:
        if fmt == "csv":
            out.write(CSV_HEADER)
        for start in range(0, rows, 10_000):
            block = []
            for i in range(start, min(start + 10_000, rows)):
                email = "not-an-email" if i % 10_000 == 9_999 else f"user{i}@example.com"
                phone, zone = f"+1 415 555 {i % 10_000:04d}", ZONES[i % 4]
                plan, age, vip, ltv = PLANS[i % 3], 18 + i % 60, i % 7 == 0, (i % 1000) / 4
                if fmt == "csv":
                    block.append(f"u{i},{email},{phone},{zone},{plan},{age},{vip},{ltv}\n")
                else:
                    doc = dict(profile_id=f"u{i}", email=email, phone=phone, timezone=zone)
                    doc.update(plan=plan, age=age, vip=vip, ltv=ltv)
                    block.append(json.dumps(doc) + "\n")
            out.write("".join(block))


async def ready(dsn: str, wait_seconds: float = 60.0) -> None:
    """The port opens before PostgreSQL accepts connections ("the database system is
    starting up"); wait for the latter."""
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            conn = await asyncpg.connect(dsn.rsplit("/", 1)[0] + "/postgres")
        except asyncpg.CannotConnectNowError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)
        else:
            await conn.close()
            return


Start = Callable[[Any, AsyncIterator[bytes], Format, str], Awaitable[ImportReport]]


async def _profiles(
    conn: Any, chunks: AsyncIterator[bytes], fmt: Format, name: str
) -> ImportReport:
    return await import_profiles(conn, chunks, fmt=fmt, source="cli", filename=name)


async def run_import(
    dsn: str, path: Path, fmt: Format, start: Start = _profiles
) -> tuple[ImportReport, float]:
    """`start` an import of the file (of profiles unless told) on a connection of its own:
    the report and the seconds it took."""
    conn = await asyncpg.connect(dsn)
    try:
        with path.open("rb") as source:
            started = time.perf_counter()
            report = await start(conn, read_file_chunks(source.read), fmt, path.name)
            return report, time.perf_counter() - started
    finally:
        await conn.close()


async def raw_copy(dsn: str, path: Path, fmt: Format, bare: str = BARE) -> float:
    """COPY the file into `bare` (a CSV file's text columns) or one text column (NDJSON)."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(bare if fmt == "csv" else "CREATE TABLE bare (doc text)")
        started = time.perf_counter()
        if fmt == "csv":
            await conn.copy_to_table("bare", source=path, format="csv", header=True)
        else:  # one JSON document per line, as text (no delimiter or quote in play)
            await conn.copy_to_table(
                "bare", source=path, format="csv", delimiter="\x01", quote="\x02"
            )
        return time.perf_counter() - started
    finally:
        await conn.close()


def _reset_high_water_mark() -> int | None:
    """Linux: VmHWM := VmRSS; returns it (KiB)."""
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")
    return _vm_kib("VmHWM")


def _vm_kib(field: str) -> int | None:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return None


async def api_upload(dsn: str, path: Path, fmt: Format) -> tuple[dict[str, Any], float, int | None]:
    """POST the file to an in-process uvicorn serving the API (client in this process too):
    the answer, the seconds, and how much the process's RSS high-water mark rose (KiB)."""
    import httpx
    import uvicorn

    from api.app import create_app
    from api.keys import insert_key
    from core.settings import Settings

    conn = await asyncpg.connect(dsn)
    try:
        _, key = await insert_key(conn, name="bench", scopes=["profiles:write"])
    finally:
        await conn.close()
    config = uvicorn.Config(
        create_app(Settings(DATABASE_URL=dsn)), host="127.0.0.1", port=free_port(),
        log_level="warning",
    )  # fmt: skip
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    try:
        for _ in range(600):
            if server.started:
                break
            await asyncio.sleep(0.05)
        before = _reset_high_water_mark()
        media = "text/csv" if fmt == "csv" else "application/x-ndjson"
        headers = {"Authorization": f"Bearer {key}", "Content-Type": media}
        with path.open("rb") as source:
            started = time.perf_counter()
            async with httpx.AsyncClient(timeout=None) as client:
                resp = await client.post(
                    f"http://127.0.0.1:{config.port}/v1/profiles/import",
                    content=read_file_chunks(source.read, 1 << 16),
                    headers=headers,
                )
            seconds = time.perf_counter() - started
        after = _vm_kib("VmHWM")
        assert resp.status_code == 201, resp.text
        rise = None if before is None or after is None else after - before
        return resp.json(), seconds, rise
    finally:
        server.should_exit = True
        await serving


def show(label: str, report: ImportReport, seconds: float) -> None:
    print(
        f"{label}: {report.rows_read:,} rows in {seconds:.1f} s = "
        f"{report.rows_read / seconds:,.0f} rows/s (stage {report.stage_seconds:.1f} s, "
        f"merge {report.merge_seconds:.1f} s); created {report.created:,}, "
        f"updated {report.updated:,}, unchanged {report.unchanged:,}, "
        f"rejected {report.rows_failed:,}"
    )


@contextlib.asynccontextmanager
async def migrated_postgres(root: Path, fast: bool) -> AsyncIterator[str]:
    """An embedded PostgreSQL in `root`, migrated, as its DSN; stopped on the way out."""
    pg = EmbeddedPostgres(root / "pg", free_port(), durable=not fast)
    pg.start()
    try:
        await ready(pg.url)
        await migrate_url(pg.url, create=True)
        yield pg.url
    finally:
        pg.stop()


Writer = Callable[[Path, int, Format], None]
Bench = Callable[[argparse.Namespace, Path], Coroutine[Any, Any, None]]


def generated(path: Path, rows: int, fmt: Format, write: Writer) -> int:
    """`write` the file of `rows` rows, logged; its size in bytes."""
    started = time.perf_counter()
    write(path, rows, fmt)
    size = path.stat().st_size
    took = time.perf_counter() - started
    log(f"generated {rows:,} rows, {size / 2**20:.0f} MiB in {took:.1f} s")
    return size


Importer = Callable[[str, Path, Format], Awaitable[tuple[ImportReport, float]]]


async def import_twice(
    run: Importer, dsn: str, path: Path, fmt: Format, what: str, size: int
) -> float:
    """Import the file into an empty target, then again (every row unchanged), each shown;
    the first one's rows/s."""
    rss_before = peak_rss_mib()
    report, seconds = await run(dsn, path, fmt)
    assert report.status == "succeeded", report.error
    rss_after = peak_rss_mib()
    show(f"import (new {what})", report, seconds)
    print(
        f"peak RSS of this process: {rss_before:.0f} MiB before, {rss_after:.0f} MiB after "
        f"(file {size / 2**20:.0f} MiB)"
    )
    again, seconds2 = await run(dsn, path, fmt)
    show("re-import (all unchanged)", again, seconds2)
    return report.rows_read / seconds


def show_baseline(rows: int, copy_seconds: float, rate: float) -> None:
    copy_rate = rows / copy_seconds
    print(
        f"baseline raw COPY into a bare table: {rows:,} rows in {copy_seconds:.1f} s "
        f"= {copy_rate:,.0f} rows/s"
    )
    print(f"peak RSS at the end: {peak_rss_mib():.0f} MiB")
    print(f"ratio={rate / copy_rate:.2f}")


async def bench(args: argparse.Namespace, root: Path) -> None:
    async with migrated_postgres(root, args.pg_fast) as dsn:
        path = root / f"profiles.{args.format}"
        size = generated(path, args.rows, args.format, generate)
        rate = await import_twice(run_import, dsn, path, args.format, "profiles", size)
        if args.api:
            body, seconds3, rise = await api_upload(dsn, path, args.format)
            print(
                f"re-import through POST /v1/profiles/import (uvicorn): {body['rows_read']:,} "
                f"rows in {seconds3:.1f} s = {body['rows_read'] / seconds3:,.0f} rows/s; "
                f"RSS high-water mark rose {(rise or 0) / 1024:.0f} MiB during the upload"
            )
        show_baseline(args.rows, await raw_copy(dsn, path, args.format), rate)


def import_arguments(doc: str) -> argparse.ArgumentParser:
    """The options every import bench takes: --rows, --format, --pg-fast, --keep."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--format", choices=["csv", "ndjson"], default="csv")
    parser.add_argument("--pg-fast", action="store_true", help="PostgreSQL without fsync")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    return parser


def in_a_temporary_folder(args: argparse.Namespace, prefix: str, work: Bench) -> None:
    """Run `work(args, folder)` in a new temporary folder, removed after unless --keep."""
    root = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        asyncio.run(work(args, root))
    finally:
        if args.keep:
            log(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = import_arguments(__doc__)
    parser.add_argument("--api", action="store_true", help="also upload through the HTTP API")
    in_a_temporary_folder(parser.parse_args(), "wayline-import-bench-", bench)


if __name__ == "__main__":
    main()
