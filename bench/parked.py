"""Parked journeys: what N journeys waiting in a node cost the worker, and how fast they wake.

    .venv/bin/python -m bench.parked [--profiles 100000] [--idle-seconds 30] [--keep]

Starts the embedded stack (as bench.journey_throughput), publishes a journey
`wait_for_event(bench.wake, 30 days) -> message(log) -> end`, and:

1. parks: one `bench.park` entry event per profile; waits until every journey is parked
   (its `CurrentNode` is the wait, timer pending);
2. idles: measures the worker's resident memory (VmRSS) and its CPU over `--idle-seconds`
   with nothing to do (a parked journey should cost memory in the sticky cache, no CPU);
3. wakes: one `bench.wake` event per profile, timed until every journey has sent its
   message and ended: the drain rate;
4. baseline: as many empty signal-with-start workflows on a minimal worker, on the same
   server, after the journeys (the physical limit of this server).

The last line is `ratio=<drain rate / empty workflows per s>`. The worker's sticky cache is
`WAYLINE_WORKER_CACHED_WORKFLOWS` (set it in the environment to compare): a parked journey
beyond it is evicted and replayed from its short history when it wakes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from typing import Any

import asyncpg
import httpx
from temporalio.client import Client

from bench.bare import EMPTY_TASK_QUEUE, EMPTY_WORKFLOW
from bench.cpu import CpuMeter
from bench.journey_phases import TEMPLATE, TEMPLATE_BODY, run_bare
from bench.stack import Stack, has_pollers, launch, log, run_in_stack, wait_api, wait_until
from bench.stats import Rate
from core.names import JOURNEY_WORKFLOW

JOURNEY_ID = "bench-parked"
PARK, WAKE = "bench.park", "bench.wake"
JOURNEY: dict[str, Any] = {
    "id": JOURNEY_ID,
    "name": "Parked journeys benchmark",
    "entry": {"event": PARK},
    "start": "parked",
    "nodes": {
        "parked": {
            "type": "wait_for_event",
            "event": WAKE,
            "timeout": "P30D",
            "on_event": "receipt",
            "on_timeout": "done",
        },
        "receipt": {"type": "message", "channel": "log", "template": TEMPLATE, "next": "done"},
        "done": {"type": "end"},
    },
}
PARKED_QUERY = (
    f'WorkflowType="{JOURNEY_WORKFLOW}" AND JourneyId="{JOURNEY_ID}" '
    'AND ExecutionStatus="Running" AND CurrentNode="parked"'
)


def rss_mib(pid: int) -> float:
    """Resident memory of one process (Linux /proc), in MiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


async def post_all(http: httpx.AsyncClient, name: str, n: int, concurrency: int = 32) -> float:
    """One `name` event per profile, in batches of 500; returns the Unix time of the first."""
    t0 = time.time()
    sem = asyncio.Semaphore(concurrency)

    async def post(start: int) -> None:
        events = [
            {"event_id": f"{name}-{i}", "name": name, "profile_id": f"parked-{i:07d}"}
            for i in range(start, min(n, start + 500))
        ]
        async with sem:
            resp = await http.post("/v1/events/batch", json={"events": events})
        if resp.status_code != 202:
            raise RuntimeError(f"POST /v1/events/batch: {resp.status_code} {resp.text[:300]}")

    await asyncio.gather(*(post(s) for s in range(0, n, 500)))
    return t0


async def wait_parked(client: Client, stack: Stack, n: int) -> None:
    async def parked() -> bool:
        return (await client.count_workflows(PARKED_QUERY)).count >= n

    await wait_until(
        f"{n} parked", parked, 120 + n / 5, interval=2.0, alive=lambda: stack.check("worker")
    )


async def wait_drained(pool: asyncpg.Pool, stack: Stack, n: int) -> float:
    """Until n journeys ended with their message; returns the last end as a Unix time."""
    done_sql = "SELECT count(ended_at), max(ended_at) FROM journey_entries WHERE journey_id = $1"

    async def drained() -> bool:
        ended, _ = await pool.fetchrow(done_sql, JOURNEY_ID)  # type: ignore[misc]
        return int(ended) >= n

    await wait_until(
        f"{n} woken", drained, 120 + n / 5, interval=1.0, alive=lambda: stack.check("worker")
    )
    _, last = await pool.fetchrow(done_sql, JOURNEY_ID)  # type: ignore[misc]
    return float(last.timestamp())


async def empty_baseline(stack: Stack, env: dict[str, str], client: Client, n: int) -> Rate:
    names = stack.spawn_many("empty-worker", 1, "bench.bare_worker", ["--minimal"], env)
    try:
        await wait_until("empty pollers", lambda: has_pollers(client, EMPTY_TASK_QUEUE), 60)
        return await run_bare(client, EMPTY_WORKFLOW, "empty", n, 64, EMPTY_TASK_QUEUE)
    finally:
        for name in names:
            stack.stop_proc(name)


async def run(args: argparse.Namespace, stack: Stack) -> None:
    n = args.profiles
    up = await launch(stack)
    headers = {"Authorization": f"Bearer {up.key}"}
    async with (
        httpx.AsyncClient(base_url=up.api_url, timeout=120, headers=headers) as http,
        asyncpg.create_pool(up.settings.database_url, min_size=1, max_size=2) as pool,
    ):
        await wait_api(http, stack)
        for method, path, body in [
            ("PUT", f"/v1/templates/{TEMPLATE}", {"channel": "log", "body": TEMPLATE_BODY}),
            ("PUT", f"/v1/journeys/{JOURNEY_ID}", JOURNEY),
            ("POST", f"/v1/journeys/{JOURNEY_ID}/publish", None),
        ]:
            (await http.request(method, path, json=body)).raise_for_status()
        stack.spawn("worker", "cli.main", ["worker"], up.env)
        worker = stack.procs["worker"].pid
        queue = up.settings.task_queue
        await wait_until("worker pollers", lambda: has_pollers(up.client, queue), 60)
        await asyncio.sleep(2)
        rss_before = rss_mib(worker)  # imported, connected, polling: nothing parked yet
        t0 = await post_all(http, PARK, n)
        await wait_parked(up.client, stack, n)
        park = Rate(n, time.time() - t0)
        log(f"parked {n}: {park}")
        await asyncio.sleep(5)  # let the last tasks and the dispatcher's sweep settle
        meter = CpuMeter(stack.cpu)
        await asyncio.sleep(args.idle_seconds)
        idle = meter.read()
        rss = rss_mib(worker)
        t1 = await post_all(http, WAKE, n)
        drain = Rate(n, await wait_drained(pool, stack, n) - t1)
        stack.stop_proc("worker")
    empty = await empty_baseline(stack, up.env, up.client, n)
    cache = os.environ.get("WAYLINE_WORKER_CACHED_WORKFLOWS", "10000 (default)")
    print(f"parked journeys: {n}, worker sticky cache {cache}, {os.cpu_count()} CPUs")
    print(f"  parking (entry -> parked):   {park}")
    print(
        f"  worker RSS: {rss_before:.0f} MiB before, {rss:.0f} MiB parked "
        f"({(rss - rss_before) * 1024 / n:.1f} KiB per journey)"
    )
    print(
        f"  worker CPU while parked:     {idle.cores.get('worker', 0.0) * 100:.1f} % of a core "
        f"over {idle.wall:.0f} s"
    )
    print(f"  wake (event -> ended):       {drain}")
    print(f"  empty workflows (baseline):  {empty}")
    print(f"ratio={drain.per_second / empty.per_second:.2f}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--profiles", type=int, default=100_000, help="journeys to park")
    p.add_argument("--idle-seconds", type=float, default=30.0, help="idle CPU measurement")
    p.add_argument("--keep", action="store_true", help="keep the data folder and the logs")
    args = p.parse_args(argv)
    return run_in_stack("wayline-bench-parked-", args.keep, lambda stack: run(args, stack))


if __name__ == "__main__":
    raise SystemExit(main())
