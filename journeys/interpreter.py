"""The journey interpreter: a pure state machine the Temporal workflow drives.

`step(definition, state, input, now, seed)` returns the new state and exactly one command,
the next blocking thing the driver must do (send, wait, load the profile, finish). The
driver executes it and feeds the result back as the next input; it feeds every event it
receives as `EventReceived` whenever no command is executing. No clock, no randomness,
no I/O: `now` comes from the workflow and the same inputs always give the same outputs,
which is what makes Temporal replay safe.

Rules worth knowing (see also the README of the journey language):

- Inputs that do not fit the state (a `MessageSent` for another node, a `TimerFired`
  with no wait, anything after the journey ended, a duplicate event id, an event of
  another profile, a second `Start`) are ignored: the state is returned unchanged with
  the pending command. Only a missing state with a non-`Start` input raises, since there
  is nothing to return.
- `TimerFired` is trusted to mean "the wait's `until` was reached": the clock used from
  there on is `max(now, until)`.
- An `exit_on` event ends the journey wherever it is, except when the journey is waiting
  in a `wait_for_event` for that very event and its `when` passes: the node that
  explicitly awaits the event handles it (`on_event`).
- The profile is loaded at entry and becomes stale once the journey blocks in a wait.
  A stale profile is reloaded (`LoadProfile`) before evaluating a condition, a wait
  `until` or a `wait_for_event` `when` that mentions `profile`; sends read it themselves.
- In a `wait_for_event` `when`, `received` is the event being tested (also available as
  `events[<name>]`); `event` stays the entry event, as everywhere.
- Every wait ends at the journey deadline at the latest; reaching it means `timed_out`.
- Any expression error ends the journey `errored` with the reason
  `nodes.<id>.<field>: <message>`.

`seed` is threaded through for future random splits; no node uses it yet.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, date, datetime, time

from journeys.durations import add_duration
from journeys.expressions import (
    ExpressionError,
    aware,
    build_context,
    compile_expression,
    event_data,
    parse_datetime,
    referenced_names,
)
from journeys.model import (
    ConditionNode,
    EndNode,
    Event,
    JourneyDefinition,
    MessageNode,
    Node,
    WaitForEventNode,
    WaitNode,
)
from journeys.runtime import (
    EVENTS_LIMIT,
    PATH_LIMIT,
    PENDING_EVENTS_LIMIT,
    SEEN_EVENTS_LIMIT,
    Command,
    EventReceived,
    Finish,
    FinishStatus,
    Input,
    JourneyState,
    LoadProfile,
    MessageSent,
    PathStep,
    ProfileLoaded,
    SendMessage,
    Start,
    StepResult,
    TimerFired,
    Wait,
    WaitState,
)

__all__ = [
    "MAX_TRANSITIONS",
    "Command",
    "EventReceived",
    "Finish",
    "Input",
    "InterpreterError",
    "JourneyState",
    "LoadProfile",
    "MessageSent",
    "PathStep",
    "ProfileLoaded",
    "SendMessage",
    "Start",
    "StepResult",
    "TimerFired",
    "Wait",
    "WaitState",
    "current_command",
    "step",
]

MAX_TRANSITIONS = 1_000  # nodes entered within one step before giving up (a loop)
_FAR_FUTURE = datetime.max.replace(tzinfo=UTC)


class InterpreterError(ValueError):
    """`step` was called without a state and with an input other than `Start`."""


class _Abort(Exception):
    """Ends the journey `errored` with `reason`; raised deep, caught in `step`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --- entry points ----------------------------------------------------------------------


def step(
    definition: JourneyDefinition,
    state: JourneyState | None,
    input: Input,
    now: datetime,
    seed: int,
) -> StepResult:
    """Apply one input; return the new state (a copy) and the one pending command."""
    now = aware(now)
    if state is None:
        if not isinstance(input, Start):
            raise InterpreterError(f"a journey starts with Start, not {input.kind}")
        new = _initial_state(definition, input, now)
        _guarded(new, now, lambda: _go(definition, new, definition.start, now))
    else:
        new = _copy(state)
        if new.status == "active":
            _guarded(new, now, lambda: _apply(definition, new, input, now))
    return StepResult(state=new, command=current_command(definition, new))


def current_command(definition: JourneyDefinition, state: JourneyState) -> Command:
    """The command the state is blocked on; derivable, so it is not stored in the state."""
    if state.status != "active":
        return Finish(status=state.status, reason=state.reason)
    if state.pending_events:
        return LoadProfile()
    if state.wait is not None:
        return Wait(until=state.wait.until, event=state.wait.event)
    node = definition.nodes.get(state.node or "")
    if isinstance(node, MessageNode):
        visit = state.visits.get(state.node or "", 1)
        return SendMessage(
            node=state.node or "", channel=node.channel, template=node.template, visit=visit
        )
    if isinstance(node, ConditionNode | WaitNode):
        return LoadProfile()  # these nodes only rest while waiting for a fresh profile
    return Finish(status="errored", reason=f"no pending command at node {state.node!r}")


def _copy(state: JourneyState) -> JourneyState:
    """A copy `step` may change without touching the caller's state.

    Cheaper than a deep copy (which dominated the cost of a step): only what the
    interpreter mutates in place is copied, the path's last step included.
    """
    new = state.model_copy()
    new.path = [*state.path[:-1], *(s.model_copy() for s in state.path[-1:])]
    new.events = dict(state.events)
    new.visits = dict(state.visits)
    new.seen_event_ids = list(state.seen_event_ids)
    new.pending_events = list(state.pending_events)
    return new


def _guarded(state: JourneyState, now: datetime, action: Callable[[], None]) -> None:
    """Run `action`; an `_Abort` raised anywhere in it ends the journey errored."""
    try:
        action()
    except _Abort as abort:
        _finish(state, now, "errored", abort.reason)


def _apply(definition: JourneyDefinition, state: JourneyState, inp: Input, now: datetime) -> None:
    if isinstance(inp, EventReceived):
        _on_event(definition, state, inp.event, now)
    elif isinstance(inp, TimerFired):
        _on_timer(definition, state, now)
    elif isinstance(inp, MessageSent):
        _on_sent(definition, state, inp, now)
    elif isinstance(inp, ProfileLoaded):
        _on_profile(definition, state, inp, now)
    # a second Start is ignored


def _initial_state(definition: JourneyDefinition, inp: Start, now: datetime) -> JourneyState:
    try:
        deadline = add_duration(now, definition.timeout)
    except (OverflowError, ValueError):
        deadline = _FAR_FUTURE
    entry = inp.entry_event
    return JourneyState(
        journey_id=inp.journey_id,
        version=inp.version,
        profile_id=inp.profile.profile_id,
        entered_at=now,
        deadline=deadline,
        entry_event=entry,
        events={entry.name: entry},
        profile=inp.profile,
        seen_event_ids=[entry.event_id],
    )


# --- moving through nodes --------------------------------------------------------------


def _node(definition: JourneyDefinition, node_id: str) -> Node:
    node = definition.nodes.get(node_id)
    if node is None:
        raise _Abort(f"unknown node {node_id!r}")
    return node


def _go(
    definition: JourneyDefinition, state: JourneyState, target: str | None, now: datetime
) -> None:
    """Enter `target` and keep going through nodes that do not block."""
    for _ in range(MAX_TRANSITIONS):
        if target is None or state.status != "active":
            return
        target = _enter(definition, state, target, now)
    if target is not None and state.status == "active":
        raise _Abort(f"more than {MAX_TRANSITIONS} nodes entered without waiting (at {target!r})")


def _enter(
    definition: JourneyDefinition, state: JourneyState, node_id: str, now: datetime
) -> str | None:
    """Enter a node; return the node to go to at once, or None if blocked or finished."""
    node = _node(definition, node_id)
    if now >= state.deadline:
        _finish(state, now, "timed_out", "journey timeout reached")
        return None
    state.node, state.wait = node_id, None
    state.visits[node_id] = state.visits.get(node_id, 0) + 1
    state.path.append(PathStep(node=node_id, type=node.type, entered_at=now))
    if len(state.path) > PATH_LIMIT:
        del state.path[0]
        state.path_dropped += 1
    return _act(definition, state, node, now)


def _act(
    definition: JourneyDefinition, state: JourneyState, node: Node, now: datetime
) -> str | None:
    """Do what the current node does; return the next node, or None if it blocks."""
    if isinstance(node, EndNode):
        _finish(state, now, "completed", None)
        return None
    if isinstance(node, MessageNode):
        return None  # SendMessage is pending
    if isinstance(node, ConditionNode):
        if _needs_profile(state, [branch.when for branch in node.branches]):
            return None
        return _choose(definition, state, node, now)
    if isinstance(node, WaitNode):
        return _start_wait(definition, state, node, now)
    return _start_wait_for_event(state, node, now)


def _choose(
    definition: JourneyDefinition, state: JourneyState, node: ConditionNode, now: datetime
) -> str:
    """First branch whose `when` is true, else `otherwise`."""
    for index, branch in enumerate(node.branches):
        field = f"branches[{index}].when"
        if _evaluate(definition, state, branch.when, field, now):
            _leave(state, now, f"branch {index}")
            return branch.next
    _leave(state, now, "otherwise")
    return node.otherwise


def _start_wait(
    definition: JourneyDefinition, state: JourneyState, node: WaitNode, now: datetime
) -> str | None:
    if node.until is not None:
        if _needs_profile(state, [node.until]):
            return None
        until = _as_datetime(_evaluate(definition, state, node.until, "until", now), state)
    else:
        until = _add(now, node.duration or "PT0S", state, "duration")
    if until <= now:
        _leave(state, now, "passed")
        return node.next
    _block(state, until, None, None)
    return None


def _start_wait_for_event(state: JourneyState, node: WaitForEventNode, now: datetime) -> str | None:
    until = _add(now, node.timeout, state, "timeout")
    if until <= now:
        _leave(state, now, "timeout")
        return node.on_timeout
    _block(state, until, node.event, node.when)
    return None


def _block(state: JourneyState, until: datetime, event: str | None, when: str | None) -> None:
    """Wait until `until` (never past the deadline); the profile is stale from now on."""
    state.wait = WaitState(until=min(until, state.deadline), event=event, when=when)
    state.profile_stale = True


def _leave(state: JourneyState, now: datetime, outcome: str) -> None:
    if state.path and state.path[-1].node == state.node and state.path[-1].left_at is None:
        state.path[-1].left_at = now
        state.path[-1].outcome = outcome


def _finish(state: JourneyState, now: datetime, status: FinishStatus, reason: str | None) -> None:
    outcome = {"completed": "completed", "timed_out": "timed out", "errored": "errored"}
    _leave(state, now, outcome.get(status, reason or status))
    state.status, state.reason = status, reason
    state.wait, state.pending_events = None, []


# --- expressions -----------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def _mentions_profile(source: str) -> bool:
    try:
        return "profile" in referenced_names(source)
    except ExpressionError:
        return False  # evaluating it will report the error


def _needs_profile(state: JourneyState, sources: list[str | None]) -> bool:
    """True if the profile must be reloaded before evaluating these expressions."""
    return state.profile_stale and any(s is not None and _mentions_profile(s) for s in sources)


def _evaluate(
    definition: JourneyDefinition,
    state: JourneyState,
    source: str,
    field: str,
    now: datetime,
    received: Event | None = None,
) -> object:
    """Evaluate an expression of the current node; an error ends the journey errored."""
    ctx = build_context(
        profile=state.profile,
        event=state.entry_event,
        events=state.events,
        journey={"id": state.journey_id, "version": state.version, "name": definition.name},
        vars=state.vars,
        now=now,
    )
    if received is not None:
        ctx["received"] = event_data(received)
    try:
        return compile_expression(source).evaluate(ctx)
    except ExpressionError as exc:
        raise _Abort(f"nodes.{state.node}.{field}: {exc.message}") from exc


def _as_datetime(value: object, state: JourneyState) -> datetime:
    """A wait `until` value: a datetime, a date (midnight UTC) or an ISO 8601 string."""
    try:
        if isinstance(value, datetime):
            return aware(value)
        if isinstance(value, date):
            return datetime.combine(value, time(), tzinfo=UTC)
        if isinstance(value, str):
            return parse_datetime(value)
    except ValueError as exc:
        raise _Abort(f"nodes.{state.node}.until: {exc}") from exc
    kind = type(value).__name__
    raise _Abort(f"nodes.{state.node}.until: expected a datetime or ISO 8601 string, got {kind}")


def _add(now: datetime, duration: str, state: JourneyState, field: str) -> datetime:
    try:
        return add_duration(now, duration)
    except (ValueError, OverflowError) as exc:
        raise _Abort(f"nodes.{state.node}.{field}: {exc}") from exc


# --- inputs ----------------------------------------------------------------------------


def _remember(state: JourneyState, event: Event) -> None:
    """Record an event for deduplication and for `events[<name>]`, both bounded."""
    state.seen_event_ids.append(event.event_id)
    del state.seen_event_ids[:-SEEN_EVENTS_LIMIT]
    state.events.pop(event.name, None)
    state.events[event.name] = event
    while len(state.events) > EVENTS_LIMIT:
        del state.events[next(iter(state.events))]


def _awaiting(
    definition: JourneyDefinition, state: JourneyState, name: str
) -> WaitForEventNode | None:
    """The wait_for_event node the journey is waiting in, if it awaits `name`."""
    node = definition.nodes.get(state.node or "")
    if state.wait is not None and isinstance(node, WaitForEventNode) and node.event == name:
        return node
    return None


def _on_event(
    definition: JourneyDefinition, state: JourneyState, event: Event, now: datetime
) -> None:
    if event.profile_id != state.profile_id or event.event_id in state.seen_event_ids:
        return
    _remember(state, event)
    node = _awaiting(definition, state, event.name)
    if node is not None and (state.pending_events or _needs_profile(state, [node.when])):
        state.pending_events.append(event)  # decided once the profile is loaded
        del state.pending_events[:-PENDING_EVENTS_LIMIT]
        return
    if state.pending_events and event.name not in definition.exit_on:
        return
    _deliver(definition, state, node, event, now)


def _deliver(
    definition: JourneyDefinition,
    state: JourneyState,
    node: WaitForEventNode | None,
    event: Event,
    now: datetime,
) -> None:
    """An event the journey can act on now: the awaited one (if `when` passes) or an exit."""
    if node is not None and (
        node.when is None or _evaluate(definition, state, node.when, "when", now, event)
    ):
        _leave(state, now, f"event {event.name}")
        _go(definition, state, node.on_event, now)
    elif event.name in definition.exit_on:
        _finish(state, now, "exited", f"exit_on event {event.name}")


def _on_timer(definition: JourneyDefinition, state: JourneyState, now: datetime) -> None:
    if state.wait is None or state.pending_events:
        return
    now = max(now, state.wait.until)
    if now >= state.deadline:
        _finish(state, now, "timed_out", "journey timeout reached")
        return
    node = _node(definition, state.node or "")
    state.wait = None
    if isinstance(node, WaitForEventNode):
        _leave(state, now, "timeout")
        _go(definition, state, node.on_timeout, now)
    elif isinstance(node, WaitNode):
        _leave(state, now, "elapsed")
        _go(definition, state, node.next, now)


def _on_sent(
    definition: JourneyDefinition, state: JourneyState, inp: MessageSent, now: datetime
) -> None:
    node = definition.nodes.get(state.node or "")
    if not isinstance(node, MessageNode) or inp.node != state.node or state.pending_events:
        return
    _leave(state, now, f"{inp.status} {inp.message_id}")
    _go(definition, state, node.next, now)


def _on_profile(
    definition: JourneyDefinition, state: JourneyState, inp: ProfileLoaded, now: datetime
) -> None:
    if inp.profile.profile_id != state.profile_id:
        return
    state.profile, state.profile_stale = inp.profile, False
    if state.pending_events:
        pending, state.pending_events = state.pending_events, []
        for event in pending:
            if state.status != "active" or state.wait is None:
                return
            _deliver(definition, state, _awaiting(definition, state, event.name), event, now)
        return
    node = definition.nodes.get(state.node or "")
    if state.wait is None and isinstance(node, ConditionNode | WaitNode):
        _go(definition, state, _act(definition, state, node, now), now)
