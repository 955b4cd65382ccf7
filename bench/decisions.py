"""Real-time decisions through `wayline api`, beside a bare query of the same offers and caps.

    .venv/bin/python -m bench.decisions [--offers 1000] [--profiles 2000] [--requests 4000]
        [--concurrency 32] [--paced-seconds 10] [--pg-fast] [--keep]

Starts an embedded PostgreSQL and `wayline api` (one process, as `wayline dev` runs it; no
Temporal: propose never calls it) in a temporary folder. Seeds, through the services the
API uses, one placement and `--offers` offers tagged `bench`, each with an eligibility
expression over the profile (`profile.attributes.score >= k`, k from 0 to 49, so about half
the catalog is eligible for a profile), a per-profile cap (3 per day) and a total cap, all
counted on `proposed` (taken in the proposition's transaction), priorities spread over the
catalog; a decision policy over the tag (priority ranking, 2 offers, exclusive tags); and
`--profiles` profiles with a `score` from 0 to 99.

Phases, each on the same stack:
1. **decisions at full speed**: `--requests` `POST /v1/decisions/bench/propose` for random
   profiles over real HTTP, `--concurrency` in flight: decisions/s and latency p50/p99.
2. **bare query**: the same number of requests, same concurrency, of one SQL statement from
   this process over asyncpg reading what a decision needs from the database (the policy's
   1,000 offers with their definitions and the profile's cap counters), nothing else.
3. **paced**: decisions open-loop at half the full-speed rate for `--paced-seconds`: p50/p99.

The last line is `ratio=<decisions/s ÷ bare queries/s>`.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import asyncpg

from bench.stack import Stack, log, wait_listening
from bench.stats import Rate, percentile
from db.migrate import migrate_url
from db.pool import create_pool
from decisions.model import OfferSpec, PlacementSpec, PolicySpec
from services import decision_catalog
from workers.embedded import EmbeddedPostgres, free_port

KEY = "wl_benchkey_0123456789abcdefghijklmnopqrstuv"
SLOT = "hero"
POLICY = "bench"
BARE = """
SELECT o.offer_id, o.definition, c.scope, c.window_start, c.count
FROM offers o
LEFT JOIN offer_counters c ON c.offer_id = o.offer_id AND c.scope IN ($1, '')
WHERE o.definition->'tags' ? 'bench'
"""


def offer(i: int) -> OfferSpec:
    return OfferSpec.model_validate(
        {
            "name": f"Offer {i}",
            "tags": ["bench", f"family-{i % 20}"],
            "priority": (i * 7919) % 1000,
            "eligibility": {"when": f"profile.attributes.score >= {i % 50}"},
            "caps": {"per_profile": {"limit": 3, "period": "P1D"}, "total": {"limit": 10**8}},
            "representations": {SLOT: {"content": f"Offer {i}: {i % 30}% off"}},
        }
    )


async def seed(pool: asyncpg.Pool, offers: int, profiles: int) -> None:
    placement = PlacementSpec(name="Hero", channel="web", content_type="text")
    await decision_catalog.put_placement(pool, SLOT, placement)
    for i in range(offers):
        await decision_catalog.put_offer(pool, f"offer-{i:04d}", offer(i))
    policy = PolicySpec.model_validate(
        {
            "name": "Bench",
            "placements": [SLOT],
            "candidates": {"tags": ["bench"]},
            "count": 2,
            "exclusive_tags": [f"family-{i}" for i in range(20)],
        }
    )
    await decision_catalog.put_policy(pool, POLICY, policy)
    await pool.execute(
        "INSERT INTO profiles (profile_id, attributes) SELECT 'p' || i, "
        "jsonb_build_object('score', i % 100) FROM generate_series(0, $1 - 1) i",
        profiles,
    )
    await pool.execute("ANALYZE")


async def closed_loop(
    n: int, concurrency: int, call: Callable[[int], Awaitable[None]]
) -> tuple[Rate, list[float]]:
    """`n` calls, `concurrency` in flight; the rate and each call's latency in ms."""
    latencies: list[float] = []
    queue = iter(range(n))

    async def runner() -> None:
        for i in queue:
            start = time.perf_counter()
            await call(i)
            latencies.append(1000 * (time.perf_counter() - start))

    start = time.perf_counter()
    await asyncio.gather(*(runner() for _ in range(concurrency)))
    return Rate(n, time.perf_counter() - start), latencies


async def paced(rate: float, seconds: float, call: Callable[[int], Awaitable[None]]) -> list[float]:
    """Open loop: a call every 1/rate s whatever the answers; each call's latency in ms.
    This process collects no garbage meanwhile: a full collection of what the earlier phases
    left (4,000 bare results of 1,000 rows) stalled its loop for 50 ms, and the calls due
    meanwhile went out in one burst, measured as the API's p99."""
    gc.collect()
    gc.disable()
    try:
        return await _paced(rate, seconds, call)
    finally:
        gc.enable()


async def _paced(
    rate: float, seconds: float, call: Callable[[int], Awaitable[None]]
) -> list[float]:
    latencies: list[float] = []

    async def timed(i: int) -> None:
        start = time.perf_counter()
        await call(i)
        latencies.append(1000 * (time.perf_counter() - start))

    tasks = []
    start = time.perf_counter()
    for i in range(int(rate * seconds)):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(timed(i)))
    await asyncio.gather(*tasks)
    return latencies


def cpu_line(used: dict[str, float], decisions: int) -> str:
    """CPU milliseconds per decision of each part: where a decision's cost lies."""
    parts = ("api", "postgres", "bench", "other")
    return "cpu ms/decision        " + "  ".join(
        f"{part} {1000 * used.get(part, 0.0) / decisions:.2f}" for part in parts
    )


def line(name: str, rate: Rate, latencies: list[float]) -> str:
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    return f"{name:22} {rate}   p50 {p50:6.1f} ms  p99 {p99:6.1f} ms"


async def run(args: argparse.Namespace, stack: Stack, url: str) -> int:
    pool = await create_pool(url, max_size=args.concurrency)
    rng = random.Random(1)
    try:
        start = time.perf_counter()
        await seed(pool, args.offers, args.profiles)
        log(
            f"# seeded {args.offers} offers, {args.profiles} profiles "
            f"in {time.perf_counter() - start:.1f} s"
        )
        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "WAYLINE_API_PORT": str(port),
            "WAYLINE_BOOTSTRAP_KEY": KEY,
            "TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",
        }
        stack.spawn("api", "cli.main", ["api", "--workers", str(args.api_workers)], env)
        await wait_listening(stack, "api", port, within=60)
        connector = aiohttp.TCPConnector(limit=args.concurrency * 2, keepalive_timeout=2)
        async with aiohttp.ClientSession(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Authorization": f"Bearer {KEY}"},
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=30),
        ) as api:

            async def decide(_: int) -> None:
                body = {"profile_id": f"p{rng.randrange(args.profiles)}"}
                async with api.post(f"/v1/decisions/{POLICY}/propose", json=body) as resp:
                    text = await resp.read()
                    if resp.status != 200:
                        raise RuntimeError(f"propose answered {resp.status}: {text!r}")

            async def bare(_: int) -> None:
                await pool.fetch(BARE, f"p{rng.randrange(args.profiles)}")

            await closed_loop(200, args.concurrency, decide)  # warm-up: imports, catalog cache
            await closed_loop(200, args.concurrency, bare)
            # The warm-up's counters and propositions, analysed as autovacuum would within a
            # minute: with the statistics of the empty tables seeded, counters are read by
            # sequential scans (half of PostgreSQL's CPU per decision).
            await pool.execute("ANALYZE")
            before = stack.cpu()
            decided, decided_ms = await closed_loop(args.requests, args.concurrency, decide)
            print(line("decisions", decided, decided_ms))
            print(cpu_line(stack.cpu_since(before), args.requests))
            based, bare_ms = await closed_loop(
                200 if args.no_bare else args.requests, args.concurrency, bare
            )
            print(line("bare offers+caps query", based, bare_ms))
            half = decided.per_second / 2
            paced_ms = await paced(half, args.paced_seconds, decide)
            print(
                f"paced at {half:.0f}/s for {args.paced_seconds:.0f} s: "
                f"p50 {percentile(paced_ms, 50):.1f} ms  p99 {percentile(paced_ms, 99):.1f} ms"
            )
        counted = await pool.fetchval("SELECT count(*) FROM propositions")
        print(f"propositions recorded: {counted}")
        print(f"ratio={decided.per_second / based.per_second:.2f}")
        return 0
    finally:
        await pool.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offers", type=int, default=1000)
    parser.add_argument("--profiles", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--paced-seconds", type=float, default=10.0)
    parser.add_argument("--api-workers", type=int, default=1, help="wayline api --workers")
    parser.add_argument("--pg-fast", action="store_true", help="PostgreSQL without fsync")
    parser.add_argument("--no-bare", action="store_true", help="skip the bare query phase")
    parser.add_argument("--keep", action="store_true", help="keep the folder and its logs")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="wayline-bench-decisions-"))
    stack = Stack(root=root, keep=args.keep)
    stack.pg = EmbeddedPostgres(root / "pg", free_port(), durable=not args.pg_fast)
    try:
        stack.pg.start()
        url = stack.pg.url
        asyncio.run(migrate_url(url, create=True))
        return asyncio.run(run(args, stack, url))
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
