"""`wayline dev`'s supervision: what counts as dead, the backoff, the give-up rule, what
restarts together, and the loop carrying the verdicts out on stand-in children."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from cli.devstack import NEEDS, Supervisor
from cli.supervision import (
    GiveUp,
    Observation,
    Policy,
    Restart,
    after_crash,
    backoff,
    death,
    describe_exit,
    failed_probes,
    restart_with,
)

POLICY = Policy(first_backoff=1, max_backoff=8, crash_limit=4, crash_window=60, probe_failures=3)
ORDER = ["postgres", "temporal", "worker", "api"]


def test_an_exited_process_is_dead_whatever_its_code() -> None:
    assert death(Observation(0), 0, POLICY) == "exited with code 0"
    assert death(Observation(-9), 0, POLICY) == "exited with signal 9 (SIGKILL)"
    assert death(Observation(None, answering=True), 0, POLICY) is None


def test_a_live_server_is_dead_after_enough_failed_probes_in_a_row() -> None:
    probes = 0
    for _ in range(2):
        probes = failed_probes(probes, Observation(None, answering=False))
        assert death(Observation(None, answering=False), probes, POLICY) is None
    assert failed_probes(probes, Observation(None, answering=True)) == 0  # one success resets
    probes = failed_probes(probes, Observation(None, answering=False))
    assert probes == 3
    assert death(Observation(None, answering=False), probes, POLICY) == (
        "stopped answering on its port (3 probes in a row)"
    )
    assert failed_probes(5, Observation(None)) == 0  # no port: never probed


def test_describe_exit() -> None:
    assert describe_exit(1) == "code 1"
    assert describe_exit(-15) == "signal 15 (SIGTERM)"
    assert describe_exit(-200) == "signal 200"


def test_backoff_doubles_up_to_the_cap() -> None:
    assert [backoff(n, POLICY) for n in range(1, 7)] == [1, 2, 4, 8, 8, 8]


def test_crashes_in_a_loop_end_in_giving_up() -> None:
    crashes: tuple[float, ...] = ()
    delays = []
    for now in (10.0, 12.0, 15.0):
        verdict = after_crash(crashes, now, POLICY)
        assert isinstance(verdict, Restart)
        crashes, delays = verdict.crashes, [*delays, verdict.delay]
    assert delays == [1, 2, 4]
    assert after_crash(crashes, 20.0, POLICY) == GiveUp(crashes=4, within=60)


def test_old_crashes_are_forgotten() -> None:
    verdict = after_crash((0.0, 1.0, 2.0), 100.0, POLICY)
    assert verdict == Restart(delay=1, crashes=(100.0,))
    verdict = after_crash((0.0, 50.0, 70.0), 100.0, POLICY)  # 0.0 is out of the window
    assert verdict == Restart(delay=4, crashes=(50.0, 70.0, 100.0))


@pytest.mark.parametrize(
    ("crashed", "group"),
    [
        ("postgres", ["postgres", "worker", "api"]),
        ("temporal", ["temporal", "worker", "api"]),
        ("worker", ["worker"]),
        ("api", ["api"]),
    ],
)
def test_a_server_restarts_with_its_clients(crashed: str, group: list[str]) -> None:
    assert restart_with(crashed, ORDER, NEEDS) == group


@dataclass
class FakeChild:
    """A child whose exit code the test sets; records its starts and stops."""

    name: str
    events: list[str]
    returncode: int | None = None
    fail_starts: int = 0
    answering: bool | None = field(default=None)

    @property
    def log(self) -> str:
        return f"{self.name}.log"

    def start(self) -> None:
        self.events.append(f"start {self.name}")
        if self.fail_starts:
            self.fail_starts -= 1
            raise RuntimeError("exited with 1")
        self.returncode = None

    def observe(self) -> Observation:
        return Observation(self.returncode, self.answering)

    def stop(self) -> None:
        self.events.append(f"stop {self.name}")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def supervisor(events: list[str]) -> tuple[Supervisor, dict[str, FakeChild], Clock]:
    children = {name: FakeChild(name, events) for name in ORDER}
    clock = Clock()
    sup = Supervisor(list(children.values()), NEEDS, POLICY, lambda: False, clock, clock.sleep)
    return sup, children, clock


def run_ticks(sup: Supervisor, clock: Clock, seconds: float) -> bool:
    end = clock.now + seconds
    while clock.now < end:
        if not sup.tick():
            return False
        clock.sleep(0.5)
    return True


def test_a_crashed_worker_is_restarted_alone_after_the_backoff(
    capsys: pytest.CaptureFixture[str],
) -> None:
    events: list[str] = []
    sup, children, clock = supervisor(events)
    children["worker"].returncode = -9
    assert sup.tick()
    assert events == ["stop worker"]
    assert run_ticks(sup, clock, 0.5)
    assert events == ["stop worker"]  # still inside the 1 s backoff
    assert run_ticks(sup, clock, 1.0)
    assert events == ["stop worker", "start worker"]
    err = capsys.readouterr().err
    assert "worker exited with signal 9 (SIGKILL); restarting it in 1 s" in err
    assert "worker restarted" in err


def test_a_dead_server_takes_its_clients_down_and_up_in_order() -> None:
    events: list[str] = []
    sup, children, clock = supervisor(events)
    children["postgres"].returncode = -9
    assert run_ticks(sup, clock, 2.0)
    assert events == [
        "stop api",
        "stop worker",
        "stop postgres",
        "start postgres",
        "start worker",
        "start api",
    ]


def test_clients_wait_while_their_server_fails_to_start() -> None:
    events: list[str] = []
    sup, children, clock = supervisor(events)
    children["temporal"].returncode = 1
    children["temporal"].fail_starts = 1
    assert run_ticks(sup, clock, 1.5)
    assert events.count("start temporal") == 1  # it failed: worker and api stay down
    assert "start worker" not in events
    assert run_ticks(sup, clock, 3.0)
    assert events[-3:] == ["start temporal", "start worker", "start api"]


def test_a_child_that_keeps_crashing_stops_the_stack(capsys: pytest.CaptureFixture[str]) -> None:
    events: list[str] = []
    sup, children, clock = supervisor(events)
    children["api"].fail_starts = 10
    children["api"].returncode = 3
    assert not run_ticks(sup, clock, 60)
    assert events.count("start api") == 3  # crash, then 3 failed starts: 4 within the window
    err = capsys.readouterr().err
    assert "it crashed 4 times within 60 s, giving up and stopping the stack (see api.log)" in err


def test_a_hung_server_is_stopped_and_restarted() -> None:
    events: list[str] = []
    sup, children, clock = supervisor(events)
    children["temporal"].answering = False
    assert run_ticks(sup, clock, 1.0)
    assert events == []  # two failed probes
    assert run_ticks(sup, clock, 0.5)
    assert events == ["stop api", "stop worker", "stop temporal"]


def test_run_returns_0_when_asked_to_stop() -> None:
    events: list[str] = []
    children = [FakeChild(name, events) for name in ORDER]
    asked = iter([False, False, True])
    clock = Clock()
    sup = Supervisor(children, NEEDS, POLICY, lambda: next(asked), clock, clock.sleep)
    assert sup.run() == 0
    assert events == []


def test_an_exit_seen_while_stopping_is_not_a_crash(capsys: pytest.CaptureFixture[str]) -> None:
    events: list[str] = []
    children = [FakeChild(name, events) for name in ORDER]
    children[2].returncode = -2  # the worker got the terminal's Ctrl-C as well
    clock = Clock()
    sup = Supervisor(children, NEEDS, POLICY, lambda: True, clock, clock.sleep)
    assert sup.tick()
    assert events == []
    assert capsys.readouterr().err == ""
