"""How `wayline dev` treats its children: when one counts as dead, how long to wait before
restarting it, which others restart with it, and when to give up.

Pure decisions on what the launcher observed (exit codes, port probes, crash times); the
loop in `cli/devstack.py` only gathers the observations and carries the verdicts out, so
every rule is unit-tested without starting a process.
"""

from __future__ import annotations

import signal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Policy:
    """The supervision knobs; the defaults suit a dev stack on a laptop."""

    first_backoff: float = 1.0  # seconds before the first restart
    max_backoff: float = 30.0  # doubling stops here
    crash_limit: int = 5  # this many crashes of one child within `crash_window` ends the run
    crash_window: float = 120.0
    probe_failures: int = 10  # consecutive failed port probes (one a tick) that make it dead
    tick: float = 0.5  # seconds between two looks at the children


@dataclass(frozen=True)
class Observation:
    """What the launcher saw of one child at one tick."""

    returncode: int | None  # None while the process runs
    answering: bool | None = None  # its port probe; None when it has no port to probe


@dataclass(frozen=True)
class Restart:
    """Restart after `delay` seconds; `crashes` are the recent crash times to remember."""

    delay: float
    crashes: tuple[float, ...]


@dataclass(frozen=True)
class GiveUp:
    """The child keeps crashing: stop the stack and say so."""

    crashes: int
    within: float


def failed_probes(previous: int, seen: Observation) -> int:
    """Consecutive failed probes: a single missed probe on a busy machine resets on success."""
    return previous + 1 if seen.answering is False else 0


def death(seen: Observation, probes_failed: int, policy: Policy) -> str | None:
    """Why the child counts as dead, or None while it is fine.

    A process that exited is dead whatever its code (a child never ends on its own while
    the stack runs); a server whose process lives on but has stopped answering on its port
    is dead too, since nothing would ever notice it otherwise.
    """
    if seen.returncode is not None:
        return f"exited with {describe_exit(seen.returncode)}"
    if probes_failed >= policy.probe_failures:
        return f"stopped answering on its port ({probes_failed} probes in a row)"
    return None


def describe_exit(returncode: int) -> str:
    """`code 1` or `signal 9 (SIGKILL)`: Popen reports a signal as a negative code."""
    if returncode >= 0:
        return f"code {returncode}"
    try:
        return f"signal {-returncode} ({signal.Signals(-returncode).name})"
    except ValueError:
        return f"signal {-returncode}"


def after_crash(crashes: Sequence[float], now: float, policy: Policy) -> Restart | GiveUp:
    """The verdict on a crash at `now`, given the child's earlier crash times.

    Crashes older than the window are forgotten, so a child that crashes once an hour is
    restarted forever, at the first backoff; one that crashes in a loop is restarted with a
    doubling delay until `crash_limit` crashes fall within the window.
    """
    recent = (*(t for t in crashes if now - t < policy.crash_window), now)
    if len(recent) >= policy.crash_limit:
        return GiveUp(len(recent), policy.crash_window)
    return Restart(backoff(len(recent), policy), recent)


def backoff(crash_count: int, policy: Policy) -> float:
    """First backoff after one crash, doubled for each further crash, capped."""
    return min(policy.max_backoff, policy.first_backoff * 2 ** (crash_count - 1))


def restart_with(
    crashed: str, order: Sequence[str], needs: Mapping[str, Sequence[str]]
) -> list[str]:
    """The crashed child and everything that depends on it, directly or not, in start order.

    The worker and the API hold connections to PostgreSQL and Temporal; restarting them with
    the server they use is simpler and surer than hoping every client reconnects.
    """
    affected = {crashed}
    for name in order:  # start order lists a dependency before its dependents
        if any(dep in affected for dep in needs.get(name, ())):
            affected.add(name)
    return [name for name in order if name in affected]
