"""Capacity planner: from a load, the workers, Temporal shards and PostgreSQL it needs.

    .venv/bin/python -m bench.capacity_plan --events-per-second 500 --steps 3 \\
        --open-journeys 3000000 [--messages-per-journey 1] [--ledger-days 90]

The figures are those the benchmarks print on this project's 2-vCPU machine
(docs/capacity.md says where each comes from); pass your own (`--worker-ms-per-step`, ...)
after running the benchmarks on your hardware. Every answer is arithmetic on them, shown
with its formula, so a reader can check it.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Load:
    """What the deployment must carry."""

    events_per_second: float
    steps: int = 3
    """Journey steps per entry: each wait, wait_for_event, send or call is one."""
    open_journeys: int = 1_000_000
    """Journeys x profiles open at once (parked in waits included)."""
    messages_per_journey: float = 1.0
    retention_days: int = 7
    """Temporal's retention of closed histories."""
    ledger_days: int = 90
    """How long Wayline's events and messages are kept before archiving."""


@dataclass(frozen=True)
class Figures:
    """Measured per-unit costs (bench/journey_throughput.py, docs/capacity.md)."""

    worker_ms_per_step: float = 7.0
    utilisation: float = 0.65
    api_events_per_core: float = 450.0
    postgres_ms_per_journey: float = 3.0
    shard_writes_per_step: float = 3.0
    write_latency_ms: float = 5.0
    shards_per_write_in_flight: float = 32.0
    journeys_per_shard: float = 25_000.0
    actions_per_journey_base: float = 2.0
    """Billable actions besides one per step (start and completion): 5 for 3 steps, measured."""
    history_kb_per_journey: float = 3.5
    history_kb_per_step: float = 0.75
    event_kb: float = 0.75
    message_kb: float = 1.5
    entry_kb: float = 0.3


@dataclass(frozen=True)
class Line:
    """One answer: what, how much, and the arithmetic that gave it."""

    what: str
    value: str
    formula: str


MIN_SHARDS = 512
"""Temporal's guidance for small and medium clusters; the count can never change later."""


def power_of_two_at_least(n: float) -> int:
    return max(1, 1 << math.ceil(math.log2(max(n, 1.0))))


def shards(load: Load, fig: Figures) -> int:
    """The larger of the write-concurrency and open-workflow answers, at least 512."""
    in_flight = steps_per_second(load) * fig.shard_writes_per_step * fig.write_latency_ms / 1000
    by_writes = in_flight * fig.shards_per_write_in_flight
    by_open = load.open_journeys / fig.journeys_per_shard
    return max(MIN_SHARDS, power_of_two_at_least(max(by_writes, by_open)))


def steps_per_second(load: Load) -> float:
    return load.events_per_second * load.steps


def worker_cores(load: Load, fig: Figures) -> float:
    return steps_per_second(load) * fig.worker_ms_per_step / 1000 / fig.utilisation


def daily_gb(load: Load, fig: Figures) -> float:
    """Wayline's ledgers per day: events, messages and entries, indexes included."""
    per_journey = fig.event_kb + fig.entry_kb + load.messages_per_journey * fig.message_kb
    return load.events_per_second * 86_400 * per_journey / 1_000_000


def temporal_gb(load: Load, fig: Figures) -> float:
    """Closed histories kept for the retention period (open ones are small beside them)."""
    per_journey = fig.history_kb_per_journey + load.steps * fig.history_kb_per_step
    return load.events_per_second * 86_400 * load.retention_days * per_journey / 1_000_000


def plan(load: Load, fig: Figures) -> list[Line]:
    """Every answer for `load`, in the order docs/capacity.md explains them."""
    steps = steps_per_second(load)
    cores = worker_cores(load, fig)
    actions = load.events_per_second * (fig.actions_per_journey_base + load.steps)
    pg_cores = load.events_per_second * fig.postgres_ms_per_journey / 1000 / fig.utilisation
    return [
        Line("journey steps/s", f"{steps:,.0f}", "events/s x steps"),
        Line(
            "worker cores",
            f"{cores:,.1f} ({math.ceil(cores)} pods of 1 CPU)",
            f"steps/s x {fig.worker_ms_per_step} ms / {fig.utilisation}",
        ),
        Line(
            "API cores",
            f"{load.events_per_second / fig.api_events_per_core:,.1f}",
            f"events/s / {fig.api_events_per_core:,.0f}",
        ),
        Line(
            "Temporal actions/s (billed on Cloud)",
            f"{actions:,.0f}",
            f"events/s x ({fig.actions_per_journey_base:g} + steps)",
        ),
        Line(
            "Temporal history shards",
            f"{shards(load, fig):,}",
            "max(writes in flight x 32, open journeys / 25,000), power of two, >= 512",
        ),
        Line(
            "Temporal database write transactions/s",
            f"{steps * fig.shard_writes_per_step:,.0f}",
            f"steps/s x {fig.shard_writes_per_step:g}, plus visibility",
        ),
        Line(
            "Temporal database storage",
            f"{temporal_gb(load, fig):,.0f} GB",
            "events/s x 86,400 x retention days x history KB per journey",
        ),
        Line(
            "Wayline PostgreSQL cores",
            f"{pg_cores:,.1f}",
            f"events/s x {fig.postgres_ms_per_journey} ms / {fig.utilisation}",
        ),
        Line(
            "Wayline PostgreSQL storage",
            f"{daily_gb(load, fig) * load.ledger_days:,.0f} GB "
            f"({daily_gb(load, fig):,.1f} GB a day)",
            "events/s x 86,400 x (event + entry + messages) KB x ledger days",
        ),
    ]


def render(lines: list[Line]) -> str:
    width = max(len(line.what) for line in lines)
    return "\n".join(f"{ln.what:<{width}}  {ln.value:<28}  {ln.formula}" for ln in lines)


def _options(parser: argparse.ArgumentParser, model: type, required: set[str]) -> None:
    for f in fields(model):
        flag = "--" + f.name.replace("_", "-")
        kind = int if f.type in ("int", int) else float
        if f.name in required:
            parser.add_argument(flag, type=kind, required=True)
        else:
            parser.add_argument(flag, type=kind, default=f.default)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    _options(parser, Load, {"events_per_second"})
    _options(parser, Figures, set())
    args = vars(parser.parse_args(argv))
    load = Load(**{f.name: args[f.name] for f in fields(Load)})
    figures = Figures(**{f.name: args[f.name] for f in fields(Figures)})
    print(render(plan(load, figures)))


if __name__ == "__main__":
    main()
