"""Test mode: a whole journey run on a virtual clock, with no server.

Waits are compressed to nothing: the clock jumps to the next timer or the next scheduled
test event, whichever comes first. Every command that would have a side effect is handed
to a `responder` (the caller renders messages and action requests there and decides what
the call answers), so this loop stays pure like the interpreter it drives.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from journeys.interpreter import (
    EventReceived,
    Finish,
    Input,
    JourneyState,
    LoadProfile,
    ProfileLoaded,
    Start,
    StepResult,
    TimerFired,
    Wait,
    step,
)
from journeys.model import Event, JourneyDefinition, Profile
from journeys.runtime import StepTrace
from journeys.trace import merge

Responder = Callable[[Any, JourneyState, datetime], tuple[Input, dict[str, Any]]]
"""(command, state, now) -> (the input to feed back, a record of what would have happened)."""


@dataclass
class Simulation:
    state: JourneyState
    status: str
    reason: str | None
    ended_at: datetime
    records: list[dict[str, Any]] = field(default_factory=list)
    visits: list[StepTrace] = field(default_factory=list)
    """One record per node visit, with what it evaluated (a branch's `when` and its value)."""


def simulate(
    definition: JourneyDefinition,
    *,
    profile: Profile,
    entry_event: Event,
    events: list[Event],
    responder: Responder,
    seed: int = 0,
    max_steps: int = 1_000,
) -> Simulation:
    """Runs until the journey finishes (it always does: every wait ends by the deadline).

    `events` carry their virtual arrival time in `timestamp`; the entry happens at the
    entry event's timestamp."""
    now = entry_event.timestamp
    pending = sorted(events, key=lambda e: e.timestamp)
    result = step(
        definition,
        None,
        Start(entry_event=entry_event, profile=profile, journey_id=definition.id, version=0),
        now,
        seed,
    )
    records: list[dict[str, Any]] = []
    traces = list(result.trace)
    for _ in range(max_steps):
        command = result.command
        if isinstance(command, Finish):
            status, reason = command.status, command.reason
            return Simulation(result.state, status, reason, now, records, merge(traces))
        result, now = _advance(definition, result, command, pending, responder, records, now, seed)
        traces.extend(result.trace)
    reason = f"stopped after {max_steps} steps"
    return Simulation(result.state, "errored", reason, now, records, merge(traces))


def _advance(
    definition: JourneyDefinition,
    result: StepResult,
    command: Any,
    pending: list[Event],
    responder: Responder,
    records: list[dict[str, Any]],
    now: datetime,
    seed: int,
) -> tuple[StepResult, datetime]:
    state = result.state
    if isinstance(command, Wait):
        if pending and pending[0].timestamp <= command.until:
            event = pending.pop(0)
            now = max(now, event.timestamp)
            return step(definition, state, EventReceived(event=event), now, seed), now
        now = max(now, command.until)
        return step(definition, state, TimerFired(), now, seed), now
    if isinstance(command, LoadProfile):
        return step(definition, state, ProfileLoaded(profile=state.profile), now, seed), now
    fed, record = responder(command, state, now)
    records.append({"at": now, "node": getattr(command, "node", None), **record})
    return step(definition, state, fed, now, seed), now
