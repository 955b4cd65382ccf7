"""CPU accounting from Linux /proc: seconds used by each process tree and by the machine,
so a phase can say which part was busy and whether other processes disturbed it."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

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
    """CPU use from now on; `usage` is a reading of seconds per part (`Stack.cpu`)."""

    def __init__(self, usage: Callable[[], dict[str, float]]) -> None:
        self.usage = usage
        self.before = usage()
        self.t0 = time.monotonic()

    def read(self) -> CpuUse:
        after, wall = self.usage(), time.monotonic() - self.t0
        return CpuUse(
            wall, {name: (after[name] - self.before.get(name, 0.0)) / wall for name in after}
        )
