"""Audience evaluation at scale: compiled rules against hand-written SQL, same run.

    .venv/bin/python -m bench.audience_eval                 # 1,000,000 profiles, ~2M events
    .venv/bin/python -m bench.audience_eval --profiles 100000

Starts an embedded PostgreSQL in a temporary folder (removed at the end), applies the
migrations (so the indexes are those of db/migrations), loads profiles and events with
COPY, ANALYZEs, then for each typical audience times, best of `--repeat`:
  - `compiled`: the count the estimate endpoint runs (audiences/sql.py),
  - `hand`: the same predicate written by hand in plain SQL,
and prints the ratio compiled / hand (1.0 = the compiler costs nothing). A bare
`count(*)` over profiles is printed as the floor. Last, one audience is materialized
(`evaluate`: members, change log, outbox events) and re-evaluated with nothing changed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from audiences.rules import parse_rule
from audiences.sql import count_members
from db.migrate import migrate_url
from db.pool import create_pool
from services.audiences import evaluate
from workers.embedded import EmbeddedPostgres, free_port

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
PLANS = ["free"] * 6 + ["pro"] * 3 + ["team"]
COUNTRIES = ["FR", "DE", "US", "GB", "ES", "IT", "NL", "BR"]
CHUNK = 100_000

# (name, rule, hand-written SQL with the same meaning)
AUDIENCES: list[tuple[str, dict[str, Any], str]] = [
    (
        "plan = pro",
        {"attribute": "plan", "op": "eq", "value": "pro"},
        "SELECT count(*) FROM profiles WHERE attributes->>'plan' = 'pro'",
    ),
    (
        "plan in (pro, team) and age >= 30 and country = FR",
        {
            "and": [
                {"attribute": "plan", "op": "in", "value": ["pro", "team"]},
                {"attribute": "age", "op": "gte", "value": 30},
                {"attribute": "country", "op": "eq", "value": "FR"},
            ]
        },
        "SELECT count(*) FROM profiles WHERE attributes->>'plan' IN ('pro', 'team') "
        "AND (attributes->>'age')::int >= 30 AND attributes->>'country' = 'FR'",
    ),
    (
        "signed_up_at within last 30 days",
        {"attribute": "signed_up_at", "op": "within_last", "value": "P30D"},
        "SELECT count(*) FROM profiles WHERE (attributes->>'signed_up_at')::timestamptz "
        "BETWEEN timestamptz '2026-05-02 12:00+00' AND timestamptz '2026-06-01 12:00+00'",
    ),
    (
        "ordered >= 2 times, total > 50, last 30 days",
        {
            "event": "order",
            "at_least": 2,
            "within": "P30D",
            "where": [{"property": "total", "op": "gt", "value": 50}],
        },
        "SELECT count(*) FROM profiles WHERE profile_id IN (SELECT profile_id FROM events "
        "WHERE name = 'order' AND ts >= timestamptz '2026-05-02 12:00+00' "
        "AND (properties->>'total')::numeric > 50 GROUP BY profile_id HAVING count(*) >= 2)",
    ),
    (
        "plan = free and no login in 7 days",
        {
            "and": [
                {"attribute": "plan", "op": "eq", "value": "free"},
                {"event": "login", "within": "P7D", "at_most": 0},
            ]
        },
        "SELECT count(*) FROM profiles p WHERE attributes->>'plan' = 'free' AND NOT EXISTS "
        "(SELECT 1 FROM events e WHERE e.profile_id = p.profile_id AND e.name = 'login' "
        "AND e.ts >= timestamptz '2026-05-25 12:00+00')",
    ),
]


def profile_rows(n: int, rnd: random.Random) -> Iterator[tuple[Any, ...]]:
    for i in range(n):
        attrs = {
            "plan": rnd.choice(PLANS),
            "age": rnd.randint(18, 80),
            "country": rnd.choice(COUNTRIES),
            "signed_up_at": (NOW - timedelta(minutes=rnd.randint(0, 525_600))).isoformat(),
            "score": round(rnd.random() * 100, 2),
        }
        yield (f"u{i:07d}", f"u{i}@example.com", json.dumps(attrs))


def event_rows(n: int, per_profile: float, rnd: random.Random) -> Iterator[tuple[Any, ...]]:
    for k in range(int(n * per_profile)):
        pid = f"u{rnd.randrange(n):07d}"
        name = rnd.choices(["order", "login", "view"], weights=[3, 5, 2])[0]
        props = {"total": rnd.randint(1, 200)} if name == "order" else {}
        ts = NOW - timedelta(minutes=rnd.randint(0, 90 * 1440))
        yield (f"e{k}", name, pid, ts, json.dumps(props))


async def copy(conn: asyncpg.Connection, table: str, cols: list[str], rows: Iterator[Any]) -> int:
    total = 0
    while True:
        chunk = [r for _, r in zip(range(CHUNK), rows, strict=False)]
        if not chunk:
            return total
        await conn.copy_records_to_table(table, records=chunk, columns=cols)
        total += len(chunk)


async def best(
    conn: asyncpg.Connection, sql: str, params: list[Any], repeat: int
) -> tuple[float, Any]:
    times, value = [], None
    await conn.execute("SET work_mem = '256MB'")  # what the evaluation transaction sets
    for _ in range(repeat):
        t = time.perf_counter()
        value = await conn.fetchval(sql, *params)
        times.append(time.perf_counter() - t)
    return min(times), value


async def run(args: argparse.Namespace) -> None:
    root = Path(tempfile.mkdtemp(prefix="wayline-bench-aud-"))
    pg = EmbeddedPostgres(root / "pg", free_port(), durable=False)
    pg.start()
    try:
        dsn = pg.url
        await migrate_url(dsn, create=True)
        conn = await asyncpg.connect(dsn)
        rnd = random.Random(7)
        t = time.perf_counter()
        n = await copy(
            conn,
            "profiles",
            ["profile_id", "email", "attributes"],
            profile_rows(args.profiles, rnd),
        )
        m = await copy(
            conn,
            "events",
            ["event_id", "name", "profile_id", "ts", "properties"],
            event_rows(args.profiles, args.events_per_profile, rnd),
        )
        await conn.execute("VACUUM ANALYZE profiles")
        await conn.execute("VACUUM ANALYZE events")
        print(
            f"# loaded {n} profiles and {m} events with COPY in {time.perf_counter() - t:.1f}s",
            file=sys.stderr,
        )

        floor, total = await best(conn, "SELECT count(*) FROM profiles", [], args.repeat)
        print(f"profiles={total}")
        print(f"{'bare count(*) scan':<48} {floor * 1000:8.0f} ms")
        print(f"{'audience':<48} {'members':>8} {'compiled':>9} {'hand':>9} {'ratio':>6}")
        ratios = []
        for name, raw, hand_sql in AUDIENCES:
            rule, problems = parse_rule(raw)
            assert rule is not None, problems
            compiled = count_members(rule, NOW)
            c_time, c_count = await best(conn, compiled.sql, compiled.params, args.repeat)
            h_time, h_count = await best(conn, hand_sql, [], args.repeat)
            assert c_count == h_count, (name, c_count, h_count)
            ratios.append(c_time / h_time)
            print(
                f"{name:<48} {c_count:>8} {c_time * 1000:7.0f}ms {h_time * 1000:7.0f}ms "
                f"{c_time / h_time:6.2f}"
            )
        await conn.close()

        pool = await create_pool(dsn)
        rule, _ = parse_rule(AUDIENCES[1][1])
        assert rule is not None
        await pool.execute(
            "INSERT INTO audiences (audience_id, name, definition) VALUES ('bench', 'b', '{}')"
        )
        for label in ("first evaluation (all enter)", "re-evaluation (no change)"):
            t = time.perf_counter()
            async with pool.acquire() as c, c.transaction():
                change = await evaluate(c, "bench", rule, NOW)
            print(
                f"{'materialize: ' + label:<48} {change.entered:>8} "
                f"{(time.perf_counter() - t) * 1000:7.0f}ms"
            )
        await pool.close()
        print(f"max_ratio={max(ratios):.2f}")
    finally:
        pg.stop()
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=1_000_000)
    parser.add_argument("--events-per-profile", type=float, default=2.0)
    parser.add_argument("--repeat", type=int, default=3)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
