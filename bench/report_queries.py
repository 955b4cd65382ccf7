"""The journey report's ledger queries at scale, against a bare scan of the same rows.

    .venv/bin/python -m bench.report_queries [--profiles 20000] [--nodes 10] [--rounds 5]

Starts an embedded PostgreSQL in a temporary folder, applies the migrations, and writes
one journey version's ledgers as the workflow would: `--nodes` step rows per profile
(a condition, a split, waits, messages: 200,000 visits by default), one message per profile
per message node, the entry rows. Then times, median of `--rounds`, the report's queries
(steps per node, messages per node and status, split paths with a goal event, entries by
status) beside the baseline `SELECT count(*)` of the journey's step rows, and prints the
ratio. Temporal's waiting counts are not part of it (one visibility count per node).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from db.migrate import migrate_url
from db.pool import create_pool
from db.sql import q
from workers.embedded import EmbeddedPostgres, free_port

JOURNEY = "bench-report"
QUERIES: dict[str, tuple[object, ...]] = {
    "report_steps": (None, None),
    "report_messages": (None, None),
    "report_entries": (None, None),
    "report_split_paths": (["n1"], "goal", None, None),
    "report_experiment_variants": ("goal", None, None),
}


async def seed(url: str, profiles: int, nodes: int) -> None:
    pool = await create_pool(url)
    try:
        names = [f"n{i}" for i in range(nodes)]
        async with pool.acquire() as conn:
            await conn.execute(
                "INSERT INTO journey_steps (run_id, node_id, visit, workflow_id, journey_id,"
                " version, profile_id, node_type, entered_at, seq, left_at, outcome, detail)"
                " SELECT 'r' || p, n.name, 1, 'w' || p, $1, 1, 'p' || p,"
                "  CASE WHEN n.i = 1 THEN 'split' WHEN n.i % 3 = 0 THEN 'message' ELSE 'wait' END,"
                "  now() - interval '1 hour', n.i + 1, now(),"
                "  CASE WHEN p % 50 = 0 AND n.i = $3 - 1 THEN 'exit_criteria' ELSE 'exited' END,"
                "  CASE WHEN n.i = 1 THEN 'path ' || (p % 2) ELSE 'elapsed' END"
                " FROM generate_series(1, $2) p,"
                "      unnest($4::text[]) WITH ORDINALITY AS n(name, i)",
                JOURNEY,
                profiles,
                nodes,
                names,
            )
            await conn.execute(
                "INSERT INTO messages (message_id, profile_id, journey_id, version, node_id,"
                " workflow_id, channel, template, status, reason)"
                " SELECT md5(p || n.name), 'p' || p, $1, 1, n.name, 'w' || p, 'email', 't',"
                "  CASE WHEN p % 10 = 0 THEN 'skipped' WHEN p % 17 = 0 THEN 'failed'"
                "       ELSE 'sent' END,"
                "  CASE WHEN p % 10 = 0 THEN 'frequency cap: 3 per 7d' END"
                " FROM generate_series(1, $2) p,"
                "      unnest($3::text[]) WITH ORDINALITY AS n(name, i) WHERE n.i % 3 = 0",
                JOURNEY,
                profiles,
                names,
            )
            await conn.execute(
                "INSERT INTO journey_entries (run_id, workflow_id, journey_id, version,"
                " profile_id, entered_at, ended_at, status)"
                " SELECT 'r' || p, 'w' || p, $1, 1, 'p' || p, now() - interval '1 hour', now(),"
                "  'completed' FROM generate_series(1, $2) p",
                JOURNEY,
                profiles,
            )
            await conn.execute(
                "INSERT INTO events (event_id, name, profile_id, ts)"
                " SELECT $1 || p, 'goal', 'p' || p, now() FROM generate_series(1, $2, 3) p",
                uuid.uuid4().hex,
                profiles,
            )
            await conn.execute("ANALYZE")
    finally:
        await pool.close()


async def measure(url: str, rounds: int) -> tuple[float, float]:
    pool = await create_pool(url)
    try:

        async def baseline() -> None:
            await pool.fetchval(
                "SELECT count(*) FROM journey_steps WHERE journey_id = $1 AND version = 1",
                JOURNEY,
            )

        async def report() -> None:
            await asyncio.gather(
                *(pool.fetch(q(name), JOURNEY, 1, *args) for name, args in QUERIES.items()),
            )

        times: dict[str, list[float]] = {"baseline": [], "report": []}
        for _ in range(rounds):
            for name, run in (("baseline", baseline), ("report", report)):
                start = time.perf_counter()
                await run()
                times[name].append(time.perf_counter() - start)
        for name, args in QUERIES.items():  # one by one, for where the time goes
            spent = []
            for _ in range(rounds):
                start = time.perf_counter()
                await pool.fetch(q(name), JOURNEY, 1, *args)
                spent.append(time.perf_counter() - start)
            print(f"  {name:28} {1000 * statistics.median(spent):8.1f} ms")
        return statistics.median(times["baseline"]), statistics.median(times["report"])
    finally:
        await pool.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=20_000)
    parser.add_argument("--nodes", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wayline-bench-report-") as tmp:
        pg = EmbeddedPostgres(Path(tmp), port=free_port(), durable=False)
        pg.start()
        try:
            url = pg.url.rsplit("/", 1)[0] + "/bench_report"
            asyncio.run(migrate_url(url, create=True))
            start = time.perf_counter()
            asyncio.run(seed(url, args.profiles, args.nodes))
            visits = args.profiles * args.nodes
            print(f"seeded {visits:,} step rows in {time.perf_counter() - start:.1f} s")
            base, report = asyncio.run(measure(url, args.rounds))
        finally:
            pg.stop()
    print(f"baseline count(*) of the step rows: {1000 * base:8.1f} ms")
    print(f"report ledger queries:              {1000 * report:8.1f} ms")
    print(f"ratio={report / base:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
