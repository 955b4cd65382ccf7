"""Action campaign throughput through the `log` channel, beside a raw COPY of its ledger.

    .venv/bin/python -m bench.campaign_throughput [--profiles 100000] [--batch-size 1000]
        [--parallel 4] [--pg-fast] [--keep]

Starts an embedded PostgreSQL (durable, as `wayline dev`, unless --pg-fast) and Temporal
dev server in a temporary folder, writes N profiles into one audience, starts the worker
(`wayline worker --no-dispatcher`) and one run of an action campaign on the `log` channel
(a Jinja2 template per profile, the rules, the ledger row = the delivery). It reports the
time from the start call to the run's end and messages/s, then COPYs the very same ledger
rows into an empty table shaped like `messages` (same indexes) and reports rows/s: the
rate this machine inserts those rows with nothing else to do. Last line:
`ratio=<campaign messages/s ÷ COPY rows/s>`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

from bench.campaign_stack import CampaignBench, load_note, say

TEMPLATE = {"body": "Hi {{ profile.attributes.first_name }}, the spring sale starts today!"}


async def copy_rate(bench: CampaignBench) -> tuple[int, float]:
    """COPY of the campaign's ledger rows into an empty copy of `messages`: (rows, seconds)."""
    async with bench.pool.acquire() as conn:
        rows = await conn.fetch("SELECT * FROM messages WHERE campaign_id = 'bench'")
        columns = list(rows[0].keys())
        await conn.execute("CREATE TABLE bench_copy (LIKE messages INCLUDING ALL)")
        records = [tuple(r.values()) for r in rows]
        started = time.perf_counter()
        await conn.copy_records_to_table("bench_copy", records=records, columns=columns)
        return len(records), time.perf_counter() - started


async def main(args: argparse.Namespace) -> int:
    bench = await CampaignBench.start(keep=args.keep, pg_fast=args.pg_fast, extra_env={})
    try:
        say(f"writing {args.profiles} profiles into an audience")
        await bench.audience(args.profiles)
        await bench.campaign("log", TEMPLATE)
        bench.start_worker()
        await bench.wait_worker()
        say(load_note())
        cpu_before = bench.stack.cpu()
        result, seconds = await bench.run(batch_size=args.batch_size, parallel=args.parallel)
        cpu = bench.stack.cpu_since(cpu_before)
        sent = await bench.pool.fetchval(
            "SELECT count(*) FROM messages WHERE campaign_id = 'bench' AND status = 'sent'"
        )
        if result.sent != args.profiles or sent != args.profiles:
            raise RuntimeError(f"expected {args.profiles} sent, got {result.sent} / {sent}")
        say(load_note())
        rows, copy_seconds = await copy_rate(bench)
        campaign_rate = args.profiles / seconds
        copy_per_second = rows / copy_seconds
        print(f"profiles            {args.profiles}")
        print(f"batch size          {args.batch_size} x {args.parallel} in flight")
        print(f"campaign            {seconds:8.1f} s  {campaign_rate:10.0f} messages/s")
        print(f"COPY ledger rows    {copy_seconds:8.1f} s  {copy_per_second:10.0f} rows/s")
        busy = ", ".join(f"{k} {v:.1f}" for k, v in sorted(cpu.items()))
        print(f"CPU seconds during the run: {busy}")
        met = "met" if campaign_rate >= 100_000 / 60 else "MISSED"
        print(f"target              100,000 messages in < 60 s (1,667/s): {met}")
        print(f"ratio={campaign_rate / copy_per_second:.3f}")
        return 0
    finally:
        await bench.stop()


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--profiles", type=int, default=100_000)
    p.add_argument("--batch-size", type=int, default=1000)
    p.add_argument("--parallel", type=int, default=4)
    p.add_argument("--pg-fast", action="store_true", help="PostgreSQL without fsync")
    p.add_argument("--keep", action="store_true", help="keep the data folder and logs")
    return p.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse())))
