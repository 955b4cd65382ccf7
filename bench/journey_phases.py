"""The journey benchmark's load and measurements: the bare Temporal baseline, entry events
POSTed to the API, and the journeys' progress and timings read from the ledgers."""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
import httpx
from temporalio.client import Client

from bench.bare import BARE_SIGNAL, BARE_TASK_QUEUE
from bench.stack import Stack, log, wait_until
from bench.stats import Rate, quantiles

JOURNEY_ID = "bench-throughput"
EVENT_NAME = "bench.order"
TEMPLATE = "bench-receipt"

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


def completion_timeout(n: int) -> float:
    """Generous: a stack slower than 5 workflows/s is broken, not slow."""
    return 60.0 + n / 5


async def run_bare(
    client: Client,
    workflow: str,
    tag: str,
    n: int,
    concurrency: int,
    task_queue: str = BARE_TASK_QUEUE,
) -> Rate:
    """Signal-with-start n workflows (fresh ids) and time until the last one closed."""
    sem = asyncio.Semaphore(concurrency)

    async def start(i: int) -> None:
        profile_id = f"{tag}-{i:06d}"
        async with sem:
            await client.start_workflow(
                workflow,
                {"profile_id": profile_id},
                id=f"bench:{tag}:{profile_id}",
                task_queue=task_queue,
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


async def latency_split(pool: asyncpg.Pool, tag: str) -> dict[str, list[float]]:
    """Seconds from the API storing each event to: its dispatcher batch marking it routed
    (claim and signal-with-start), the journey's entry being recorded (its first workflow
    task) and the message's ledger row (the send)."""
    rows = await pool.fetch(
        """SELECT extract(epoch FROM e.dispatched_at - e.received_at)::float8 AS routed,
                  extract(epoch FROM j.entered_at - e.received_at)::float8 AS entered,
                  extract(epoch FROM m.created_at - e.received_at)::float8 AS message
           FROM events e
           JOIN messages m ON m.profile_id = e.profile_id AND m.journey_id = $2
           JOIN journey_entries j ON j.profile_id = e.profile_id AND j.journey_id = $2
           WHERE e.profile_id LIKE $1""",
        f"{tag}-%",
        JOURNEY_ID,
    )
    return {k: [r[k] for r in rows] for k in ("routed", "entered", "message")}
