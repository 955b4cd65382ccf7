"""The throughput benchmark's machinery; `bench/journey_throughput.py` is its entry point."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from bench.bare import (
    ACTIVITIES_PER_RUN,
    BARE_ACTIVITY_WORKFLOW,
    BARE_LOCAL_WORKFLOW,
    BARE_SIGNAL,
    BARE_TASK_QUEUE,
)
from core.converter import data_converter
from core.settings import Settings
from workers.embedded import (
    EmbeddedPostgres,
    EmbeddedTemporal,
    _die_with_parent,
    free_port,
    port_open,
)

ROOT = Path(__file__).resolve().parent.parent
JOURNEY_ID = "bench-throughput"
EVENT_NAME = "bench.order"
TEMPLATE = "bench-receipt"
WARMUP = 50
NOISY_CORES = 0.15  # CPU used by other processes beyond which a phase is flagged

JOURNEY: dict[str, Any] = {
    "id": JOURNEY_ID,
    "name": "Throughput benchmark",
    "entry": {"event": EVENT_NAME},
    "start": "big_order",
    "nodes": {
        "big_order": {
            "type": "condition",
            "branches": [{"when": "event.properties.total > 10", "next": "receipt"}],
            "otherwise": "done",
        },
        "receipt": {"type": "message", "channel": "log", "template": TEMPLATE, "next": "done"},
        "done": {"type": "end"},
    },
}
TEMPLATE_BODY = "Thanks for your order of {{ event.properties.total }}!"


def log(msg: str) -> None:
    print(f"# {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- processes


@dataclass
class BenchTemporal(EmbeddedTemporal):
    """The embedded dev server, with the SQLite pragmas and dynamic config replaceable."""

    pragmas: list[str] | None = None
    dynamic_config: list[str] = field(default_factory=list)

    def command(self) -> list[str]:
        args = super().command()
        if self.pragmas is not None:
            kept: list[str] = []
            skip = False
            for arg in args:
                if skip:
                    skip = False
                elif arg == "--sqlite-pragma":
                    skip = True
                else:
                    kept.append(arg)
            args = kept + [a for p in self.pragmas for a in ("--sqlite-pragma", p)]
        return args + [a for kv in self.dynamic_config for a in ("--dynamic-config-value", kv)]


@dataclass
class Stack:
    """Everything the benchmark starts, stopped in reverse order by `stop()`."""

    root: Path
    keep: bool
    pg: EmbeddedPostgres | None = None
    temporal: BenchTemporal | None = None
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def spawn(self, name: str, module: str, args: Sequence[str], env: dict[str, str]) -> None:
        logfile = self.root / f"{name}.log"
        with open(logfile, "ab") as out:
            # Own session: a Ctrl-C reaches only the benchmark, which stops children in order.
            # PDEATHSIG: a benchmark killed with SIGKILL takes them along.
            self.procs[name] = subprocess.Popen(
                [sys.executable, "-m", module, *args],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )

    def cpu(self) -> dict[str, float]:
        """CPU seconds used so far by each part; `bench` is this process (load generator)."""
        roots = {name: proc.pid for name, proc in self.procs.items()}
        for name, server in (("temporal", self.temporal), ("postgres", self.pg)):
            if server is not None and server.proc is not None:
                roots[name] = server.proc.pid
        used = cpu_seconds(roots)
        times = os.times()
        used["bench"] = times.user + times.system
        used["other"] = busy_seconds() - sum(used.values())  # other processes, the kernel
        return used

    def cpu_since(self, before: dict[str, float]) -> dict[str, float]:
        """CPU seconds each part used since `before` (an earlier `cpu()`)."""
        return {k: v - before.get(k, 0.0) for k, v in self.cpu().items()}

    def check(self, prefix: str) -> None:
        """Raise if a process whose name starts with `prefix` has exited."""
        for name, proc in self.procs.items():
            if name.startswith(prefix) and proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{self.tail(name)}")

    def spawn_many(
        self, name: str, count: int, module: str, args: Sequence[str], env: dict[str, str]
    ) -> list[str]:
        names = [name if i == 0 else f"{name}-{i + 1}" for i in range(count)]
        for each in names:
            self.spawn(each, module, args, env)
        return names

    def tail(self, name: str, lines: int = 40) -> str:
        try:
            text = (self.root / f"{name}.log").read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop_proc(self, name: str, timeout: float = 30.0) -> None:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)

    def stop(self) -> None:
        for name in reversed(list(self.procs)):
            self.stop_proc(name)
        if self.temporal is not None:
            self.temporal.stop()
        if self.pg is not None:
            self.pg.stop()
        if self.keep:
            log(f"data kept in {self.root}")
        else:
            shutil.rmtree(self.root, ignore_errors=True)


# --------------------------------------------------------------------------- CPU use

_TICK = os.sysconf("SC_CLK_TCK")


def _proc_table() -> dict[int, tuple[int, float]]:
    """pid -> (parent pid, CPU seconds so far) for every process (Linux /proc)."""
    table: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        table[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICK)
    return table


def busy_seconds() -> float:
    """CPU seconds the whole machine spent busy (all processes, kernel included)."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / _TICK


def cpu_seconds(roots: dict[str, int]) -> dict[str, float]:
    """CPU time of each named process and its descendants (PostgreSQL's backends)."""
    table = _proc_table()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    used: dict[str, float] = {}
    for name, root in roots.items():
        total, todo = 0.0, [root]
        while todo:
            pid = todo.pop()
            total += table.get(pid, (0, 0.0))[1]
            todo.extend(children.get(pid, []))
        used[name] = total
    return used


# --------------------------------------------------------------------------- results


@dataclass
class Rate:
    count: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.count / self.seconds if self.seconds > 0 else math.inf

    def __str__(self) -> str:
        return f"{self.per_second:8.1f}/s  ({self.count} in {self.seconds:.1f} s)"


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


# --------------------------------------------------------------------------- helpers


async def wait_until(
    what: str,
    check: Callable[[], Awaitable[bool]],
    within: float,
    interval: float = 0.5,
    alive: Callable[[], None] | None = None,
) -> None:
    deadline = time.monotonic() + within
    while True:
        if alive is not None:
            alive()
        if await check():
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not done within {within:.0f} s")
        await asyncio.sleep(interval)


async def wait_listening(stack: Stack, name: str, port: int, within: float = 30.0) -> None:
    """Until the process `name` accepts connections on `port`; fails at once if it exited."""

    async def listening() -> bool:
        return port_open("127.0.0.1", port)

    await wait_until(
        f"{name} on port {port}", listening, within, interval=0.1, alive=lambda: stack.check(name)
    )


async def has_pollers(client: Client, task_queue: str) -> bool:
    resp = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=client.namespace,
            task_queue=TaskQueue(name=task_queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        )
    )
    return len(resp.pollers) > 0


def completion_timeout(n: int) -> float:
    """Generous: a stack slower than 5 workflows/s is broken, not slow."""
    return 60.0 + n / 5


# --------------------------------------------------------------------------- bare baseline


async def run_bare(client: Client, workflow: str, tag: str, n: int, concurrency: int) -> Rate:
    """Signal-with-start n workflows (fresh ids) and time until the last one closed."""
    sem = asyncio.Semaphore(concurrency)

    async def start(i: int) -> None:
        profile_id = f"{tag}-{i:06d}"
        async with sem:
            await client.start_workflow(
                workflow,
                {"profile_id": profile_id},
                id=f"bench:{tag}:{profile_id}",
                task_queue=BARE_TASK_QUEUE,
                start_signal=BARE_SIGNAL,
                start_signal_args=[
                    {"name": EVENT_NAME, "profile_id": profile_id, "properties": {"total": 42}}
                ],
            )

    t0 = time.time()
    await asyncio.gather(*(start(i) for i in range(n)))
    done = f'WorkflowType="{workflow}" AND ExecutionStatus="Completed"'
    query = f'{done} AND WorkflowId STARTS_WITH "bench:{tag}:"'

    async def all_closed() -> bool:
        return (await client.count_workflows(query)).count >= n

    await wait_until(f"{n} {workflow}", all_closed, completion_timeout(n), interval=1.0)
    started, closed = [], []
    async for wf in client.list_workflows(query):
        started.append(wf.start_time.timestamp() - t0)
        closed.append(wf.close_time.timestamp() - t0 if wf.close_time else math.inf)
    log(f"{tag} started: {quantiles(started)}")
    log(f"{tag} closed: {quantiles(closed)}")
    return Rate(n, max(closed))


# --------------------------------------------------------------------------- journeys


def event(tag: str, i: int) -> dict[str, Any]:
    """The event_id makes a retried POST idempotent (the API acknowledges the duplicate)."""
    profile_id = f"{tag}-{i:06d}"
    return {
        "event_id": f"bench-{profile_id}",
        "name": EVENT_NAME,
        "profile_id": profile_id,
        "properties": {"total": 42},
    }


async def post_events(
    http: httpx.AsyncClient, tag: str, n: int, concurrency: int, rate: float | None = None
) -> tuple[float, float]:
    """POST n entry events, at most `concurrency` at once, paced at `rate`/s if given.

    Returns (time of the first request, time of the last 202), as Unix times.
    """
    sem = asyncio.Semaphore(concurrency)
    t0 = time.time()
    start = time.monotonic()

    async def post(i: int) -> None:
        if rate:
            await asyncio.sleep(max(0.0, start + i / rate - time.monotonic()))
        async with sem:
            for attempt in range(3):
                try:
                    resp = await http.post("/v1/events", json=event(tag, i))
                    break
                except httpx.TransportError:  # a keep-alive connection closed under us
                    if attempt == 2:
                        raise
        if resp.status_code != 202:
            raise RuntimeError(f"POST /v1/events: {resp.status_code} {resp.text[:500]}")

    await asyncio.gather(*(post(i) for i in range(n)))
    return t0, time.time()


@dataclass
class JourneyTimes:
    entries: int
    ended: int
    messages: int
    sent: int
    dispatched: int
    last_dispatched: datetime | None
    last_ended: datetime | None


async def journey_times(pool: asyncpg.Pool, tag: str) -> JourneyTimes:
    like = f"{tag}-%"
    row = await pool.fetchrow(
        """SELECT
             (SELECT count(*) FROM events WHERE profile_id LIKE $1
                AND dispatched_at IS NOT NULL) AS dispatched,
             (SELECT max(dispatched_at) FROM events WHERE profile_id LIKE $1) AS last_dispatched,
             (SELECT count(*) FROM journey_entries WHERE journey_id = $2
                AND profile_id LIKE $1) AS entries,
             (SELECT count(ended_at) FROM journey_entries WHERE journey_id = $2
                AND profile_id LIKE $1) AS ended,
             (SELECT max(ended_at) FROM journey_entries WHERE journey_id = $2
                AND profile_id LIKE $1) AS last_ended,
             (SELECT count(*) FROM messages WHERE journey_id = $2
                AND profile_id LIKE $1) AS messages,
             (SELECT count(*) FROM messages WHERE journey_id = $2
                AND profile_id LIKE $1 AND status = 'sent') AS sent""",
        like,
        JOURNEY_ID,
    )
    assert row is not None
    return JourneyTimes(**dict(row))


STALL_SECONDS = 60.0


async def wait_journeys(pool: asyncpg.Pool, stack: Stack, tag: str, n: int) -> JourneyTimes:
    """Until n journeys ended with their message; fails if nothing moves for a minute."""
    last: JourneyTimes | None = None
    progress = (-1, -1, -1)
    moved = time.monotonic()

    async def done() -> bool:
        nonlocal last, progress, moved
        last = await journey_times(pool, tag)
        now = (last.dispatched, last.ended, last.messages)
        if now != progress:
            progress, moved = now, time.monotonic()
        elif time.monotonic() - moved > STALL_SECONDS:
            raise TimeoutError(f"{tag}: no progress for {STALL_SECONDS:.0f} s")
        return last.ended >= n and last.messages >= n

    def alive() -> None:
        stack.check("worker")
        stack.check("api")

    try:
        await wait_until(f"{n} journeys {tag}", done, completion_timeout(n), alive=alive)
    except TimeoutError:
        log(f"stuck at {last}; worker log:\n{stack.tail('worker')}")
        raise
    assert last is not None
    if last.sent < n or last.entries != n:
        raise RuntimeError(f"{tag}: expected {n} entries and sent messages, got {last}")
    return last


def quantiles(values: list[float]) -> str:
    v = sorted(values)
    return " ".join(f"{q}% {v[min(len(v) - 1, len(v) * q // 100)]:.1f}" for q in (10, 50, 90, 100))


async def log_timeline(pool: asyncpg.Pool, tag: str, t0: float) -> None:
    """When the events were received, routed and their journeys ended, in s after t0."""
    rows = await pool.fetch(
        """SELECT extract(epoch FROM e.received_at)::float8 AS r,
                  extract(epoch FROM e.dispatched_at)::float8 AS d,
                  extract(epoch FROM j.ended_at)::float8 AS x
           FROM events e JOIN journey_entries j ON j.profile_id = e.profile_id
           WHERE e.profile_id LIKE $1""",
        f"{tag}-%",
    )
    for label, key in (("received", "r"), ("routed", "d"), ("ended", "x")):
        log(f"{tag} {label}: {quantiles([r[key] - t0 for r in rows])}")
    # A dispatcher batch marks its events with one now(): distinct values count the batches.
    log(f"{tag}: {len({r['d'] for r in rows})} dispatcher batches for {len(rows)} events")


async def latencies(pool: asyncpg.Pool, tag: str) -> list[float]:
    rows = await pool.fetch(
        """SELECT extract(epoch FROM m.created_at - e.received_at)::float8 AS s
           FROM events e JOIN messages m
             ON m.profile_id = e.profile_id AND m.journey_id = $2
           WHERE e.profile_id LIKE $1""",
        f"{tag}-%",
        JOURNEY_ID,
    )
    return [r["s"] for r in rows]


# --------------------------------------------------------------------------- the run


@dataclass
class CpuUse:
    """CPU used by each part during a phase, in cores (seconds of CPU per second)."""

    wall: float
    cores: dict[str, float]

    def __str__(self) -> str:
        parts = sorted(self.cores.items(), key=lambda kv: -kv[1])
        total = sum(self.cores.values())
        return f"CPU cores used over {self.wall:.1f} s: total {total:.2f} = " + ", ".join(
            f"{name} {cores:.2f}" for name, cores in parts
        )


class CpuMeter:
    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.before = stack.cpu()
        self.t0 = time.monotonic()

    def read(self) -> CpuUse:
        after, wall = self.stack.cpu(), time.monotonic() - self.t0
        return CpuUse(
            wall, {name: (after[name] - self.before.get(name, 0.0)) / wall for name in after}
        )


@dataclass
class Round:
    bare: Rate
    accepted: Rate
    routed: Rate
    completed: Rate
    cpu_bare: CpuUse
    cpu_journeys: CpuUse

    @property
    def ratio(self) -> float:
        return self.completed.per_second / self.bare.per_second


@dataclass
class Results:
    rounds: list[Round] = field(default_factory=list)
    bare_activities: Rate | None = None
    latency_rate: float = 0.0
    latency: list[float] = field(default_factory=list)


def median_rate(rates: list[Rate]) -> float:
    return statistics.median(r.per_second for r in rates)


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
        pg = stack.pg = EmbeddedPostgres(
            stack.root / "postgres", free_port(), durable=args.pg_durable
        )
        temporal = stack.temporal = BenchTemporal(
            stack.root / "temporal",
            free_port(),
            pragmas=args.sqlite_pragma,
            dynamic_config=args.dynamic_config,
        )
        pg.start()
        temporal.start()
        log(f"temporal: {' '.join(temporal.command()[1:])}")
        from db.migrate import migrate_url

        await migrate_url(pg.url, create=True)
        key = f"wl_bench_{secrets.token_hex(16)}"
        api_port = free_port()
        self.env = {
            **os.environ,
            "DATABASE_URL": pg.url,
            "TEMPORAL_ADDRESS": temporal.address,
            "WAYLINE_API_PORT": str(api_port),
            "WAYLINE_API_URL": f"http://127.0.0.1:{api_port}",
            "WAYLINE_BOOTSTRAP_KEY": key,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        }
        if not args.no_bytecode:
            # The sandbox imports the workflow module afresh for every workflow run; without
            # a bytecode cache it compiles the source each time (see README). Deployments
            # have .pyc files, so the children get a cache, kept in the data folder.
            self.env.pop("PYTHONDONTWRITEBYTECODE", None)
            self.env["PYTHONPYCACHEPREFIX"] = str(stack.root / "pycache")
        self.settings = Settings(DATABASE_URL=pg.url, TEMPORAL_ADDRESS=temporal.address)
        self.start_concurrency = args.start_concurrency or self.settings.dispatch_concurrency
        self.client = await Client.connect(temporal.address, data_converter=data_converter)

        stack.spawn("api", "cli.main", ["api"], self.env)
        limits = httpx.Limits(
            max_connections=args.concurrency, max_keepalive_connections=args.concurrency
        )
        async with (
            httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{api_port}",
                limits=limits,
                timeout=60,
                headers={"Authorization": f"Bearer {key}"},
            ) as http,
            asyncpg.create_pool(pg.url, min_size=1, max_size=2) as pool,
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
        async def api_up() -> bool:
            try:
                return (await self.http.get("/health")).status_code == 200
            except httpx.TransportError:
                return False

        await wait_until("API /health", api_up, 60, alive=lambda: self.stack.check("api"))
        for method, path, body in [
            ("PUT", f"/v1/templates/{TEMPLATE}", {"channel": "log", "body": TEMPLATE_BODY}),
            ("PUT", f"/v1/journeys/{JOURNEY_ID}", JOURNEY),
            ("POST", f"/v1/journeys/{JOURNEY_ID}/publish", None),
        ]:
            resp = await self.http.request(method, path, json=body)
            if resp.status_code >= 300:
                raise RuntimeError(f"{method} {path}: {resp.status_code} {resp.text[:1000]}")

    @contextlib.asynccontextmanager
    async def bare_workers(self) -> AsyncIterator[None]:
        names = self.stack.spawn_many(
            "bare-worker", self.args.workers, "bench.bare_worker", [], self.env
        )
        try:
            await wait_until(
                "bare worker pollers",
                lambda: has_pollers(self.client, BARE_TASK_QUEUE),
                60,
                alive=lambda: self.stack.check("bare-worker"),
            )
            self.warmups += 1
            await run_bare(
                self.client,
                BARE_LOCAL_WORKFLOW,
                f"warm-bare{self.warmups}",
                WARMUP,
                self.start_concurrency,
            )
            yield
        finally:
            for name in names:
                self.stack.stop_proc(name)

    @contextlib.asynccontextmanager
    async def journey_workers(self, warm_tag: str) -> AsyncIterator[None]:
        names = self.stack.spawn_many(
            "worker", self.args.workers, "cli.main", ["worker"], self.env
        )
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
        async with self.bare_workers():
            meter = CpuMeter(stack)
            bare = await run_bare(
                self.client, BARE_LOCAL_WORKFLOW, f"bare-local-r{r}", n, self.start_concurrency
            )
            cpu_bare = meter.read()
        log(f"round {r}: bare, {ACTIVITIES_PER_RUN} local activities: {bare}")
        log(f"round {r}: bare {cpu_bare}")
        tag = f"tp-r{r}"
        async with self.journey_workers(f"warm-r{r}"):
            meter = CpuMeter(stack)
            t0, t_accepted = await post_events(self.http, tag, n, self.args.concurrency)
            times = await wait_journeys(self.pool, stack, tag, n)
            cpu_journeys = meter.read()
            await log_timeline(self.pool, tag, t0)
        assert times.last_dispatched is not None and times.last_ended is not None
        result = Round(
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

    async def latency_phase(self) -> None:
        """Open loop at half the median completion rate: sends do not wait for replies."""
        rate = median_rate([r.completed for r in self.out.rounds]) / 2
        m = max(100, min(self.n, int(rate * self.args.latency_seconds)))
        async with self.journey_workers("warm-lat"):
            await post_events(self.http, "lat", m, self.args.concurrency, rate=rate)
            await wait_journeys(self.pool, self.stack, "lat", m)
        self.out.latency_rate = rate
        self.out.latency = await latencies(self.pool, "lat")


def report(args: argparse.Namespace, out: Results) -> None:
    print(
        f"wayline journey throughput: {args.profiles} profiles x {len(out.rounds)} round(s), "
        f"HTTP concurrency {args.concurrency}, {args.workers} worker process(es), "
        f"{os.cpu_count()} CPUs"
    )
    for i, r in enumerate(out.rounds, 1):
        prefix = f"round {i}: " if len(out.rounds) > 1 else ""
        print(f"{prefix}bare Temporal, {ACTIVITIES_PER_RUN} local activities: {r.bare}")
        print(f"{prefix}events accepted by the API:         {r.accepted}")
        print(f"{prefix}events routed:                      {r.routed}")
        print(f"{prefix}journeys completed:                 {r.completed}")
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
        completed = median_rate([r.completed for r in out.rounds])
        bare = median_rate([r.bare for r in out.rounds])
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
