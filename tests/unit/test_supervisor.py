"""The supervisor of the worker's loops (workers/supervisor.py) and its health endpoint.

The backoff is a pure function checked value by value; the supervisor runs real asyncio
loops that fail on demand, with a short backoff so the test stays quick.
"""

from __future__ import annotations

import asyncio
import math

import httpx
import pytest
from prometheus_client import REGISTRY

from workers.health import HealthServer, health_report
from workers.supervisor import LoopState, Periodic, Supervisor, backoff_delay


@pytest.mark.parametrize(
    ("failures", "delay"),
    [(0, 0.0), (-1, 0.0), (1, 0.5), (2, 1.0), (3, 2.0), (5, 8.0), (6, 10.0), (10_000, 10.0)],
)
def test_backoff_doubles_up_to_the_cap(failures: int, delay: float) -> None:
    assert backoff_delay(failures) == delay


def test_backoff_jitter_takes_off_at_most_half() -> None:
    assert backoff_delay(3, jitter=0.0) == 2.0
    assert backoff_delay(3, jitter=0.5) == 1.5
    assert 1.0 < backoff_delay(3, jitter=0.999) < 1.01
    assert backoff_delay(4, base=1.0, cap=5.0) == 5.0


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_loop_is_stuck_once_its_interval_and_the_grace_have_passed() -> None:
    state = LoopState("dispatcher", interval=5.0, started_at=1000.0)
    assert state.stuck(1014.0, grace=10.0) is None
    assert state.stuck(1016.0, grace=10.0) == "no tick since start for 16 s"
    state.last_tick, state.last_error = 1010.0, "OSError: connection refused"
    assert state.stuck(1024.0, grace=10.0) is None
    assert state.stuck(1026.0, grace=10.0) == (
        "no successful tick for 16 s; last error: OSError: connection refused"
    )
    watched = LoopState("temporal-worker q", interval=math.inf, started_at=0.0)
    assert watched.stuck(1e9, grace=10.0) is None
    watched.ended, watched.last_error = True, "RuntimeError: boom"
    assert watched.stuck(1.0, grace=10.0) == "ended: RuntimeError: boom"


class Flaky:
    """A loop whose ticks fail `fail` times, then succeed; it counts opens and closes."""

    interval = 1.0

    def __init__(self, name: str, fail: int) -> None:
        self.name, self.fail = name, fail
        self.opened = self.closed = self.ticks = 0
        self.ticked = asyncio.Event()

    async def open(self) -> None:
        self.opened += 1

    async def tick(self) -> None:
        await asyncio.sleep(0.01)
        if self.fail:
            self.fail -= 1
            raise ConnectionRefusedError("database down")
        self.ticks += 1
        self.ticked.set()

    async def close(self) -> None:
        self.closed += 1
        raise OSError("closing a dead connection fails too")  # must not stop the retries


def failures(name: str) -> float:
    return REGISTRY.get_sample_value("wayline_loop_failures_total", {"loop": name}) or 0.0


async def test_a_failing_loop_is_reopened_after_a_backoff_and_recovers() -> None:
    supervisor = Supervisor(grace=10.0, base=0.01, cap=0.05)
    loop = Flaky("flaky-unit", fail=3)
    counted = failures("flaky-unit")
    supervisor.start(loop)
    await asyncio.wait_for(loop.ticked.wait(), 10)
    state = supervisor.loops["flaky-unit"]
    assert (loop.opened, loop.ticks >= 1) == (4, True), "opened again after each failure"
    assert loop.closed == 3
    assert (state.failures, state.last_error) == (0, None), "a successful tick resets them"
    assert state.last_tick is not None
    assert failures("flaky-unit") - counted == 3
    gauge = REGISTRY.get_sample_value(
        "wayline_loop_last_tick_timestamp_seconds", {"loop": "flaky-unit"}
    )
    assert gauge is not None and gauge >= state.last_tick - 5
    await supervisor.stop()
    assert loop.closed == 4, "stopping closes what the loop opened"


async def test_health_names_the_stuck_loop_and_its_cause() -> None:
    clock = Clock()
    supervisor = Supervisor(grace=10.0, base=0.01, cap=0.01, clock=clock)
    good, bad = Flaky("good-unit", fail=0), Flaky("bad-unit", fail=10**9)
    supervisor.start(good)
    supervisor.start(bad)
    await asyncio.wait_for(good.ticked.wait(), 10)
    await asyncio.sleep(0.1)
    assert health_report(supervisor)[0] == 200, "within interval and grace nothing is stuck"
    clock.now += 30
    await good.ticked.wait()
    good.ticked.clear()
    await asyncio.wait_for(good.ticked.wait(), 10)  # a tick at the new time
    status, body = health_report(supervisor)
    assert status == 503
    assert list(body["stuck"]) == ["bad-unit"]
    assert "ConnectionRefusedError: database down" in body["stuck"]["bad-unit"]
    assert body["loops"]["bad-unit"]["failures"] > 0
    assert body["loops"]["good-unit"]["failures"] == 0
    await supervisor.stop()


async def test_a_watched_task_that_ends_is_reported() -> None:
    supervisor = Supervisor(grace=10.0)

    async def worker() -> None:
        raise RuntimeError("poller failed")

    task = asyncio.create_task(worker())
    supervisor.watch("temporal-worker q", task)
    assert supervisor.stuck() == {}
    await asyncio.gather(task, return_exceptions=True)
    assert supervisor.stuck() == {"temporal-worker q": "ended: RuntimeError: poller failed"}


async def test_periodic_works_at_once_then_every_interval() -> None:
    calls: list[float] = []
    loop = asyncio.get_running_loop()

    async def work() -> None:
        calls.append(loop.time())

    periodic = Periodic("p", 0.2, work)
    await periodic.open()
    await periodic.tick()
    await periodic.tick()
    assert len(calls) == 2 and calls[1] - calls[0] >= 0.19
    await periodic.open()  # reopened after a failure: the backoff was the wait
    started = loop.time()
    await periodic.tick()
    assert calls[2] - started < 0.1


async def test_health_endpoint_over_http() -> None:
    clock = Clock()
    supervisor = Supervisor(grace=1.0, clock=clock)
    supervisor.loops["idle-unit"] = LoopState("idle-unit", interval=1.0, started_at=clock.now)
    server = HealthServer(supervisor, "127.0.0.1", 0)
    await server.start()
    base = f"http://127.0.0.1:{server.port}"
    try:
        async with httpx.AsyncClient(timeout=5) as client:
            ok = await client.get(f"{base}/health")
            assert (ok.status_code, ok.json()["status"]) == (200, "ok")
            clock.now += 5
            stuck = await client.get(f"{base}/health")
            assert stuck.status_code == 503
            assert stuck.json()["stuck"] == {"idle-unit": "no tick since start for 5 s"}
            assert (await client.get(f"{base}/metrics")).status_code == 404
            assert (await client.post(f"{base}/health")).status_code == 405
    finally:
        await server.close()
