"""Backtest speed: a journey replayed over stored events, beside a bare scan of them.

    .venv/bin/python -m bench.backtest                       # 100,000 profiles, 1,000,000 events
    .venv/bin/python -m bench.backtest --profiles 10000 --rounds 3

Starts an embedded PostgreSQL in a temporary folder (removed at the end), applies the
migrations, loads profiles and `cart.updated` / `order.completed` / other events with COPY,
then per round times:
  - `bare`: the backtest's own event query streamed through a cursor, rows dropped,
  - `backtest`: `services.backtest.backtest` of the abandoned-cart journey over the window,
and prints events/s of each (medians over rounds) and, last, `ratio=<backtest / bare>`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from bench.audience_eval import copy
from db.migrate import migrate_url
from db.pool import create_pool
from db.sql import q
from journeys.model import JourneyDefinition
from services.backtest import CannedAnswers, backtest
from workers.embedded import EmbeddedPostgres, free_port

END = datetime(2026, 6, 1, tzinfo=UTC)
DAYS = 30
JOURNEY = {
    "id": "bench-cart",
    "name": "Bench cart",
    "entry": {"event": "cart.updated", "when": "event.properties.total > 0"},
    "reentry": {"mode": "after", "wait": "P1D"},
    "exit_on": ["order.completed"],
    "start": "wait_order",
    "nodes": {
        "wait_order": {
            "type": "wait_for_event",
            "event": "order.completed",
            "timeout": "PT1H",
            "on_event": "done",
            "on_timeout": "remind",
        },
        "remind": {"type": "message", "channel": "log", "template": "bench", "next": "wait"},
        "wait": {"type": "wait", "duration": "P1D", "next": "big"},
        "big": {
            "type": "condition",
            "branches": [{"when": "event.properties.total > 100", "next": "coupon"}],
            "otherwise": "done",
        },
        "coupon": {"type": "message", "channel": "log", "template": "bench", "next": "done"},
        "done": {"type": "end"},
    },
}


def event_rows(n: int, per_profile: int, rnd: random.Random) -> Iterator[tuple[Any, ...]]:
    names = ["cart.updated", "order.completed", "page.viewed"]
    for p in range(n):
        for k in range(per_profile):
            name = rnd.choices(names, weights=[3, 1, 6])[0]
            props = {"total": rnd.randint(0, 200)} if name == "cart.updated" else {}
            ts = END - timedelta(minutes=rnd.randint(1, DAYS * 1440))
            yield (f"e{p}-{k}", name, f"u{p:07d}", ts, json.dumps(props))


async def load(dsn: str, args: argparse.Namespace) -> int:
    conn = await asyncpg.connect(dsn)
    rnd = random.Random(7)
    profiles = ((f"u{p:07d}", f"u{p}@example.com", "{}") for p in range(args.profiles))
    await copy(conn, "profiles", ["profile_id", "email", "attributes"], profiles)
    cols = ["event_id", "name", "profile_id", "ts", "properties"]
    m = await copy(conn, "events", cols, event_rows(args.profiles, args.events_per_profile, rnd))
    await conn.execute("INSERT INTO templates (name, channel, body) VALUES ('bench', 'log', 'x')")
    await conn.execute("VACUUM ANALYZE")
    await conn.close()
    return m


async def bare(pool: asyncpg.Pool, start: datetime) -> int:
    names = ["cart.updated", "order.completed"]
    rows = 0
    async with pool.acquire() as conn, conn.transaction():
        async for _ in conn.cursor(q("backtest_events"), start, END, names, prefetch=5000):
            rows += 1
    return rows


async def run(args: argparse.Namespace) -> None:
    root = Path(tempfile.mkdtemp(prefix="wayline-bench-backtest-"))
    pg = EmbeddedPostgres(root / "pg", free_port(), durable=False)
    pg.start()
    try:
        await migrate_url(pg.url, create=True)
        t = time.perf_counter()
        total = await load(pg.url, args)
        print(f"# loaded {total} events in {time.perf_counter() - t:.1f}s", file=sys.stderr)
        pool = await create_pool(pg.url)
        start = END - timedelta(days=DAYS)
        definition = JourneyDefinition.model_validate(JOURNEY)
        bare_rates, bt_rates = [], []
        for r in range(args.rounds):
            t = time.perf_counter()
            relevant = await bare(pool, start)
            bare_rates.append(relevant / (time.perf_counter() - t))
            t = time.perf_counter()
            tally = await backtest(
                pool, definition, version=1, start=start, end=END, answers=CannedAnswers()
            )
            bt_rates.append(relevant / (time.perf_counter() - t))
            print(
                f"# round {r + 1}: {relevant} relevant events, {tally.profiles} profiles, "
                f"{tally.entered} entries, bare {bare_rates[-1]:.0f}/s, "
                f"backtest {bt_rates[-1]:.0f}/s",
                file=sys.stderr,
            )
        await pool.close()
        b, s = statistics.median(bare_rates), statistics.median(bt_rates)
        print(f"events_stored={total}")
        print(f"relevant_events={relevant}")
        print(f"bare_events_per_s={b:.0f}")
        print(f"backtest_events_per_s={s:.0f}")
        print(f"backtest_s_per_million_events={1e6 / s:.1f}")
        print(f"ratio={s / b:.3f}")
    finally:
        pg.stop()
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=100_000)
    parser.add_argument("--events-per-profile", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
