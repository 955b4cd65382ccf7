"""Read-audience fan-out against direct signal-with-starts of the same journeys, same run.

    .venv/bin/python -m bench.audience_fanout [--members 5000] [--concurrency 32]

Starts its own embedded PostgreSQL and Temporal dev server in a temporary folder and one
worker subprocess (`python -m cli.main worker --no-dispatcher`), then, on the same
server and worker, with the cheapest journey (entry checks, then `end`):

1. baseline: this process signal-with-starts N journeys itself (`services.journey_client.
   enter_journey`, `--concurrency` in flight, as the router would);
2. fan-out: N members of an audience, one `AudienceFanoutWorkflow` run (snapshot, pages of
   `--page-size`, the worker's `WAYLINE_FANOUT_CONCURRENCY` = `--concurrency` in flight).

Each rate is N / (first start → last `journey_entries.ended_at`). The last line is
`ratio=<fan-out journeys/s ÷ direct journeys/s>`: what paging, snapshot and heartbeats
cost over starting the same journeys directly. Everything it starts is stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from temporalio.client import Client

from core.contracts import AudienceFanoutInput, AudienceFanoutResult
from core.converter import data_converter
from core.names import AUDIENCE_FANOUT_WORKFLOW
from db.migrate import migrate_url
from db.pool import create_pool
from journeys.model import Event
from services.journey_client import enter_journey
from workers.embedded import EmbeddedPostgres, EmbeddedTemporal, free_port

ROOT = Path(__file__).resolve().parent.parent

QUEUE = "bench-fanout"
AUDIENCE = "bench-audience"


def journey(jid: str, entry: dict[str, object]) -> dict[str, object]:
    return {
        "id": jid,
        "name": jid,
        "entry": entry,
        "reentry": {"mode": "always"},
        "start": "done",
        "nodes": {"done": {"type": "end"}},
    }


async def publish(pool: asyncpg.Pool, defn: dict[str, object]) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "INSERT INTO journeys (journey_id, name, status, live_version) "
            "VALUES ($1, $1, 'live', 1)",
            defn["id"],
        )
        await conn.execute(
            "INSERT INTO journey_versions (journey_id, version, definition) VALUES ($1, 1, $2)",
            defn["id"],
            defn,
        )


async def finished(pool: asyncpg.Pool, jid: str, count: int) -> datetime:
    """The last end time once `count` journeys of `jid` have ended."""
    query = (
        "SELECT count(*) FILTER (WHERE ended_at IS NOT NULL) AS ended, max(ended_at) AS last "
        "FROM journey_entries WHERE journey_id = $1"
    )
    while True:
        row = await pool.fetchrow(query, jid)
        assert row is not None
        if row["ended"] >= count:
            last: datetime = row["last"]
            return last
        await asyncio.sleep(0.5)


async def direct(client: Client, pool: asyncpg.Pool, members: int, concurrency: int) -> float:
    jid = "bench-direct"
    await publish(pool, journey(jid, {"event": "bench.go"}))
    sem = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with sem:
            event = Event(
                event_id=f"direct-{i}",
                name="bench.go",
                profile_id=f"d-{i:07d}",
                timestamp=datetime.now(UTC),
            )
            await enter_journey(client, QUEUE, journey_id=jid, version=1, name=jid, event=event)

    began = datetime.now(UTC)
    await asyncio.gather(*(one(i) for i in range(members)))
    last = await finished(pool, jid, members)
    return members / (last - began).total_seconds()


async def fanout(client: Client, pool: asyncpg.Pool, members: int, page_size: int) -> float:
    jid = "bench-fanout"
    await pool.execute(
        "INSERT INTO audiences (audience_id, name, definition) VALUES ($1, $1, '{}')", AUDIENCE
    )
    await pool.execute(
        "INSERT INTO audience_members (audience_id, profile_id) "
        "SELECT $1, 'f-' || lpad(i::text, 7, '0') FROM generate_series(1, $2::int) i",
        AUDIENCE,
        members,
    )
    await publish(pool, journey(jid, {"audience": {"id": AUDIENCE, "schedule": "once"}}))
    began = datetime.now(UTC)
    result = await client.execute_workflow(
        AUDIENCE_FANOUT_WORKFLOW,
        AudienceFanoutInput(journey_id=jid, page_size=page_size),
        id=f"audience-fanout:{jid}:bench",
        task_queue=QUEUE,
        result_type=AudienceFanoutResult,
    )
    run_seconds = (datetime.now(UTC) - began).total_seconds()
    assert result.signalled == members, result
    last = await finished(pool, jid, members)
    print(f"fan-out run (all signalled)   {run_seconds:8.1f} s")
    return members / (last - began).total_seconds()


def start_worker(
    database_url: str, temporal_address: str, concurrency: int
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "TEMPORAL_ADDRESS": temporal_address,
        "WAYLINE_TASK_QUEUE": QUEUE,
        "WAYLINE_FANOUT_CONCURRENCY": str(concurrency),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "cli.main", "worker", "--no-dispatcher"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def measure(args: argparse.Namespace, root: Path) -> None:
    pg = EmbeddedPostgres(root / "pg", free_port(), durable=False)
    temporal = EmbeddedTemporal(root / "temporal", free_port())
    pg.start()
    temporal.start()
    worker: subprocess.Popen[bytes] | None = None
    try:
        await migrate_url(pg.url, create=True)
        worker = start_worker(pg.url, temporal.address, args.concurrency)
        client = await Client.connect(temporal.address, data_converter=data_converter)
        pool = await create_pool(pg.url)
        try:
            started = time.monotonic()
            base = await direct(client, pool, args.members, args.concurrency)
            print(f"direct signal-with-start      {base:8.1f} journeys/s")
            fan = await fanout(client, pool, args.members, args.page_size)
            print(f"read-audience fan-out         {fan:8.1f} journeys/s")
            print(f"members {args.members}, total {time.monotonic() - started:.0f} s")
            print(f"ratio={fan / base:.2f}")
        finally:
            await pool.close()
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(30)
        temporal.stop()
        pg.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--page-size", type=int, default=500)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="wayline-bench-fanout-"))
    try:
        asyncio.run(measure(args, root))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
