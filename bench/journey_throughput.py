"""Journey throughput of the whole stack, against bare Temporal on the same server.

    .venv/bin/python -m bench.journey_throughput [--profiles 2000] [--concurrency 32] [--keep]

Starts its own embedded PostgreSQL and Temporal dev server in a temporary folder, the API
(`python -m cli.main api`) and the worker (`python -m cli.main worker`, Temporal
workers and dispatcher) as subprocesses, and is itself the load generator. In order:

1. bare baseline: the same number of signal-with-starts (fresh id each) of a workflow
   running 3 empty local activities, as many as a journey `condition -> message(log) ->
   end` runs (enter, send, finish); its worker (`python -m bench.bare_worker`) is a
   subprocess with the journey worker's settings. Then, for information, 3 regular
   activities. Both run before the journeys, on a fresh server, and their worker is
   stopped before the journey worker starts: a Temporal database that already holds their
   histories can only slow the journeys down, so the ratio is not flattered (see README).
2. journeys at full speed: every profile POSTs one entry event to /v1/events with bounded
   concurrency; accepted/s (client side), routed/s (events.dispatched_at) and completed/s
   (journey_entries.ended_at), all timed from the first POST to the last row.
3. latency: events paced at half the completion rate of 2, event -> message latency
   (events.received_at -> messages.created_at), p50 and p99.

The last two lines are `ratio_empty=<journeys per s / empty workflows per s>` (empty
signal-with-start workflows on a minimal worker with default SDK settings: the physical
limit) and `ratio=<journeys per s / bare workflows per s>`, medians over the rounds; before
them, the history events and estimated billable actions per run of each kind. Every process
it starts is stopped at the end, on errors and on Ctrl-C; the data folder is removed unless --keep.
Knobs: WAYLINE_WORKER_* and WAYLINE_DISPATCH_* from the environment reach both workers;
--sqlite-pragma and --dynamic-config change the Temporal dev server.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx

from bench.bare import (
    ACTIVITIES_PER_RUN,
    BARE_ACTIVITY_WORKFLOW,
    BARE_LOCAL_WORKFLOW,
    BARE_TASK_QUEUE,
    EMPTY_TASK_QUEUE,
    EMPTY_WORKFLOW,
)
from bench.cpu import CpuMeter, CpuUse
from bench.histories import Cost, cost
from bench.journey_phases import (
    JOURNEY,
    JOURNEY_ID,
    TEMPLATE,
    TEMPLATE_BODY,
    latency_split,
    log_timeline,
    post_events,
    run_bare,
    wait_journeys,
)
from bench.stack import Stack, has_pollers, launch, log, wait_api, wait_until
from bench.stats import Rate, median_rate, percentile
from core.names import JOURNEY_WORKFLOW

WARMUP = 50
NOISY_CORES = 0.15  # CPU used by other processes beyond which a phase is flagged


@dataclass
class Round:
    empty: Rate
    bare: Rate
    accepted: Rate
    routed: Rate
    completed: Rate
    cpu_bare: CpuUse
    cpu_journeys: CpuUse

    @property
    def ratio(self) -> float:
        return self.completed.per_second / self.bare.per_second

    @property
    def ratio_empty(self) -> float:
        return self.completed.per_second / self.empty.per_second

    @property
    def worker_ms_per_journey(self) -> float:
        """CPU of the worker processes over the journeys phase, per journey completed."""
        cores = sum(c for name, c in self.cpu_journeys.cores.items() if name.startswith("worker"))
        return cores * self.cpu_journeys.wall * 1000 / self.completed.count


@dataclass
class Results:
    rounds: list[Round] = field(default_factory=list)
    bare_activities: Rate | None = None
    latency_rate: float = 0.0
    latency: list[float] = field(default_factory=list)
    split: dict[str, list[float]] = field(default_factory=dict)  # seconds after storing
    costs: dict[str, Cost] = field(default_factory=dict)  # per run, from the last round


class Bench:
    """One run: the stack, the clients and the phases."""

    def __init__(self, args: argparse.Namespace, stack: Stack, out: Results) -> None:
        self.args = args
        self.stack = stack
        self.out = out
        self.n: int = args.profiles
        self.warmups = 0

    async def run(self) -> None:
        args, stack = self.args, self.stack
        up = await launch(
            stack,
            pg_durable=args.pg_durable,
            pragmas=args.sqlite_pragma,
            dynamic_config=args.dynamic_config,
            bytecode=not args.no_bytecode,
        )
        self.env, self.settings, self.client = up.env, up.settings, up.client
        self.start_concurrency = args.start_concurrency or self.settings.dispatch_concurrency
        limits = httpx.Limits(
            max_connections=args.concurrency, max_keepalive_connections=args.concurrency
        )
        async with (
            httpx.AsyncClient(
                base_url=up.api_url,
                limits=limits,
                timeout=60,
                headers={"Authorization": f"Bearer {up.key}"},
            ) as http,
            asyncpg.create_pool(up.settings.database_url, min_size=1, max_size=2) as pool,
        ):
            self.http, self.pool = http, pool
            await self.publish()
            for r in range(1, args.rounds + 1):
                await self.round(r)
            await self.latency_phase()
        stack.stop_proc("api")
        if not args.no_regular:
            async with self.bare_workers():
                self.out.bare_activities = await run_bare(
                    self.client, BARE_ACTIVITY_WORKFLOW, "bare-act", self.n, self.start_concurrency
                )
            log(f"bare, {ACTIVITIES_PER_RUN} regular activities: {self.out.bare_activities}")

    async def publish(self) -> None:
        await wait_api(self.http, self.stack)
        for method, path, body in [
            ("PUT", f"/v1/templates/{TEMPLATE}", {"channel": "log", "body": TEMPLATE_BODY}),
            ("PUT", f"/v1/journeys/{JOURNEY_ID}", JOURNEY),
            ("POST", f"/v1/journeys/{JOURNEY_ID}/publish", None),
        ]:
            resp = await self.http.request(method, path, json=body)
            if resp.status_code >= 300:
                raise RuntimeError(f"{method} {path}: {resp.status_code} {resp.text[:1000]}")

    async def empty_phase(self, r: int) -> Rate:
        async with self.bare_workers(minimal=True):
            empty = await run_bare(
                self.client,
                EMPTY_WORKFLOW,
                f"empty-r{r}",
                self.n,
                self.start_concurrency,
                EMPTY_TASK_QUEUE,
            )
        log(f"round {r}: empty workflows, minimal worker: {empty}")
        return empty

    async def count_costs(self, r: int) -> None:
        """History events and billable actions per run of each kind, from this round's runs."""
        kinds = {
            "empty workflow": f'WorkflowType="{EMPTY_WORKFLOW}" AND WorkflowId STARTS_WITH '
            f'"bench:empty-r{r}:"',
            "bare workflow": f'WorkflowType="{BARE_LOCAL_WORKFLOW}" AND WorkflowId STARTS_WITH '
            f'"bench:bare-local-r{r}:"',
            "journey": f'WorkflowType="{JOURNEY_WORKFLOW}" AND JourneyId="{JOURNEY_ID}"',
        }
        for label, query in kinds.items():
            self.out.costs[label] = await cost(self.client, query)
            log(f"round {r}: per {label}: {self.out.costs[label]}")

    @contextlib.asynccontextmanager
    async def bare_workers(self, minimal: bool = False) -> AsyncIterator[None]:
        """The baseline's worker processes, warmed up: the 3-local-activity one with the
        journey worker's settings, or (`minimal`) `EmptyWorkflow` on SDK defaults."""
        kind = "empty" if minimal else "bare"
        queue = EMPTY_TASK_QUEUE if minimal else BARE_TASK_QUEUE
        workflow = EMPTY_WORKFLOW if minimal else BARE_LOCAL_WORKFLOW
        args = ["--minimal"] if minimal else []
        names = self.stack.spawn_many(
            f"{kind}-worker", self.args.workers, "bench.bare_worker", args, self.env
        )
        try:
            await wait_until(
                f"{kind} worker pollers",
                lambda: has_pollers(self.client, queue),
                60,
                alive=lambda: self.stack.check(f"{kind}-worker"),
            )
            self.warmups += 1
            tag = f"warm-{kind}{self.warmups}"
            await run_bare(self.client, workflow, tag, WARMUP, self.start_concurrency, queue)
            yield
        finally:
            for name in names:
                self.stack.stop_proc(name)

    @contextlib.asynccontextmanager
    async def journey_workers(self, warm_tag: str) -> AsyncIterator[None]:
        names = self.stack.spawn_many("worker", self.args.workers, "cli.main", ["worker"], self.env)
        try:
            await wait_until(
                "journey worker pollers",
                lambda: has_pollers(self.client, self.settings.task_queue),
                60,
                alive=lambda: self.stack.check("worker"),
            )
            await post_events(self.http, warm_tag, WARMUP, self.args.concurrency)
            await wait_journeys(self.pool, self.stack, warm_tag, WARMUP)
            yield
        finally:
            for name in names:
                self.stack.stop_proc(name)

    async def round(self, r: int) -> None:
        """The bare baseline first, then the journeys, on the same server (see README)."""
        n, stack = self.n, self.stack
        empty = await self.empty_phase(r)
        async with self.bare_workers():
            meter = CpuMeter(stack.cpu)
            bare = await run_bare(
                self.client, BARE_LOCAL_WORKFLOW, f"bare-local-r{r}", n, self.start_concurrency
            )
            cpu_bare = meter.read()
        log(f"round {r}: bare, {ACTIVITIES_PER_RUN} local activities: {bare}")
        log(f"round {r}: bare {cpu_bare}")
        tag = f"tp-r{r}"
        async with self.journey_workers(f"warm-r{r}"):
            meter = CpuMeter(stack.cpu)
            t0, t_accepted = await post_events(self.http, tag, n, self.args.concurrency)
            times = await wait_journeys(self.pool, stack, tag, n)
            cpu_journeys = meter.read()
            await log_timeline(self.pool, tag, t0)
        assert times.last_dispatched is not None and times.last_ended is not None
        result = Round(
            empty=empty,
            bare=bare,
            accepted=Rate(n, t_accepted - t0),
            routed=Rate(n, times.last_dispatched.timestamp() - t0),
            completed=Rate(n, times.last_ended.timestamp() - t0),
            cpu_bare=cpu_bare,
            cpu_journeys=cpu_journeys,
        )
        log(
            f"round {r}: accepted {result.accepted}; routed {result.routed}; "
            f"completed {result.completed}; ratio {result.ratio:.2f}"
        )
        log(f"round {r}: journeys {cpu_journeys}")
        self.out.rounds.append(result)
        if r == self.args.rounds:
            await self.count_costs(r)

    async def latency_phase(self) -> None:
        """Open loop at half the median completion rate: sends do not wait for replies."""
        rate = median_rate([r.completed for r in self.out.rounds]) / 2
        m = max(100, min(self.n, int(rate * self.args.latency_seconds)))
        async with self.journey_workers("warm-lat"):
            await post_events(self.http, "lat", m, self.args.concurrency, rate=rate)
            await wait_journeys(self.pool, self.stack, "lat", m)
        self.out.latency_rate = rate
        self.out.split = await latency_split(self.pool, "lat")
        self.out.latency = self.out.split["message"]


def report(args: argparse.Namespace, out: Results) -> None:
    print(
        f"wayline journey throughput: {args.profiles} profiles x {len(out.rounds)} round(s), "
        f"HTTP concurrency {args.concurrency}, {args.workers} worker process(es), "
        f"{os.cpu_count()} CPUs"
    )
    for i, r in enumerate(out.rounds, 1):
        prefix = f"round {i}: " if len(out.rounds) > 1 else ""
        print(f"{prefix}empty workflows, minimal worker:   {r.empty}")
        print(f"{prefix}bare Temporal, {ACTIVITIES_PER_RUN} local activities: {r.bare}")
        print(f"{prefix}events accepted by the API:         {r.accepted}")
        print(f"{prefix}events routed:                      {r.routed}")
        print(f"{prefix}journeys completed:                 {r.completed}")
        print(f"{prefix}worker CPU per journey:             {r.worker_ms_per_journey:.1f} ms")
        for label, cpu in (("bare", r.cpu_bare), ("journeys", r.cpu_journeys)):
            other = cpu.cores.get("other", 0.0)
            if other > NOISY_CORES:
                print(
                    f"{prefix}warning: other processes used {other:.2f} cores during the "
                    f"{label} phase; numbers are unreliable"
                )
    if out.bare_activities:
        print(
            f"bare Temporal, {ACTIVITIES_PER_RUN} regular activities: {out.bare_activities}"
            "  (information)"
        )
    if out.latency:
        print(
            f"event -> message latency at {out.latency_rate:.1f} events/s "
            f"(n={len(out.latency)}): p50 {percentile(out.latency, 50) * 1000:.0f} ms, "
            f"p99 {percentile(out.latency, 99) * 1000:.0f} ms, "
            f"max {max(out.latency) * 1000:.0f} ms"
        )
        print(
            "  from the event stored to: "
            + ", ".join(
                f"{k} p50 {percentile(v, 50) * 1000:.0f} / p99 {percentile(v, 99) * 1000:.0f} ms"
                for k, v in out.split.items()
            )
        )
    if out.rounds:
        if len(out.rounds) > 1:
            print(
                "medians: bare {:.1f}/s, accepted {:.1f}/s, routed {:.1f}/s, "
                "journeys {:.1f}/s".format(
                    *(
                        median_rate([getattr(r, k) for r in out.rounds])
                        for k in ("bare", "accepted", "routed", "completed")
                    )
                )
            )
        for label, per_run in out.costs.items():
            print(f"per {label}: {per_run}")
        completed = median_rate([r.completed for r in out.rounds])
        bare = median_rate([r.bare for r in out.rounds])
        empty = median_rate([r.empty for r in out.rounds])
        print(f"ratio_empty={completed / empty:.2f}")
        print(f"ratio={completed / bare:.2f}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument(
        "--profiles",
        type=int,
        default=2000,
        help="profiles (= journeys, = bare workflows) per phase",
    )
    p.add_argument("--concurrency", type=int, default=32, help="HTTP requests in flight")
    p.add_argument(
        "--start-concurrency",
        type=int,
        default=0,
        help="bare baseline: signal-with-starts in flight "
        "(default: WAYLINE_DISPATCH_CONCURRENCY, as the dispatcher)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes (`wayline worker`; as many for the baseline)",
    )
    p.add_argument(
        "--rounds", type=int, default=1, help="repeat baseline + journeys; medians are reported"
    )
    p.add_argument(
        "--latency-seconds", type=float, default=20.0, help="length of the paced latency phase"
    )
    p.add_argument("--keep", action="store_true", help="keep the data folder and the logs")
    p.add_argument(
        "--sqlite-pragma",
        action="append",
        default=None,
        metavar="PRAGMA=VALUE",
        help="replace the dev server's SQLite pragmas (repeat)",
    )
    p.add_argument(
        "--dynamic-config",
        action="append",
        default=[],
        metavar="KEY=JSON",
        help="extra dev-server dynamic config values (repeat)",
    )
    p.add_argument(
        "--pg-fast",
        dest="pg_durable",
        action="store_false",
        help="PostgreSQL with fsync off (default: durable, as `wayline dev`)",
    )
    p.add_argument(
        "--no-bytecode",
        action="store_true",
        help="keep PYTHONDONTWRITEBYTECODE for the children, if set",
    )
    p.add_argument(
        "--no-regular",
        action="store_true",
        help="skip the informational baseline with regular activities",
    )
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    stack = Stack(Path(tempfile.mkdtemp(prefix="wayline-bench-")), keep=args.keep)
    out = Results()

    def on_term(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    code = 0
    try:
        asyncio.run(Bench(args, stack, out).run())
    except KeyboardInterrupt:
        log("interrupted")
        code = 130
    except Exception as exc:
        log(f"failed: {type(exc).__name__}: {exc}")
        for name in stack.procs:
            log(f"--- {name} log (last lines):\n{stack.tail(name)}")
        code = 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stack.stop()
    report(args, out)
    return code


if __name__ == "__main__":
    sys.exit(main())
