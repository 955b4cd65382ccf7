"""The journey interpreter: a pure state machine the Temporal workflow drives.

`step(definition, state, input, now, seed)` returns the new state and exactly one command,
the next blocking thing the driver must do (send, wait, load the profile, record an
experiment assignment, call an action, fetch data, update the profile, jump to another
journey, finish). The driver executes it and feeds the result back as the next input; it
feeds every event it receives as `EventReceived` whenever no command is executing. No
clock, no randomness, no I/O: `now` comes from the workflow and the same inputs always
give the same outputs, which is what makes Temporal replay safe.

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
  explicitly awaits the event handles it (`on_event`). So does an `audience.exited` event
  of an audience in `exit_on_audience` (the profile left it).
- The profile is loaded at entry and becomes stale once the journey blocks in a wait.
  A stale profile is reloaded (`LoadProfile`) before evaluating a condition, a wait
  `until`, a `wait_for_event` `when`, action/fetch `params` or `update_profile` values
  that mention `profile`; sends read it themselves. A condition with `refresh: true`
  always reloads it first. `ProfileUpdated` replaces it (fresh).
- Timezones of `next_weekday` waits and `quiet_hours` default to the profile's timezone
  as last loaded (no reload just for that), else UTC.
- A message inside its `quiet_hours` first waits (`Wait(event=None)`) until the window
  ends, recorded as "deferred by quiet hours"; the send is then a new path step of the
  same visit (same message id).
- `split` and `experiment` assignments hash `journey_id|profile_id|node_id` (sha256), so
  a profile lands on the same path on replay and re-entry; a non-sticky split adds
  `|seed|visit`, `seed` being the argument of `step` (the driver derives it from the
  entry run).
- Every wait ends at the journey deadline at the latest; reaching it means `timed_out`.
- `StepResult.trace` lists the node visits the step began or ended (`StepTrace`: node,
  visit, entry order, how it ended — exited, exit_criteria, errored, timed_out — and why:
  the outcome text and the expressions evaluated with their values, or a split's or
  experiment's hash point). A quiet-hours deferral does not end the visit. The state never
  holds the trace; the driver writes it to the step ledger.
- Any expression error ends the journey `errored` with the reason
  `nodes.<id>.<field>: <message>`; a failed action or fetch without `on_error` with
  `nodes.<id>: <error>`.

What each node type does lives in its module under `journeys.nodes` (entry, the command it
waits on, its timer, the result of its command, the events it awaits); this module is the
loop that moves through them and routes each input to the node the journey is at.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from journeys.audience import exit_reason
from journeys.durations import add_duration
from journeys.expressions import aware
from journeys.model import Event, JourneyDefinition, Node
from journeys.nodes import NODE_KINDS
from journeys.nodes.base import NodeType
from journeys.nodes.context import StepContext
from journeys.nodes.errors import NodeError
from journeys.problems import format_path
from journeys.runtime import (
    EVENTS_LIMIT,
    PENDING_EVENTS_LIMIT,
    SEEN_EVENTS_LIMIT,
    ActionDone,
    AssignmentRecorded,
    CallAction,
    ChooseSendTime,
    Command,
    Decide,
    EventReceived,
    FetchData,
    Finish,
    Input,
    JourneyState,
    Jumped,
    JumpToJourney,
    LoadProfile,
    MessageSent,
    NodeResult,
    PathStep,
    PendingCall,
    ProfileLoaded,
    ProfileUpdated,
    RecordAssignment,
    RecordsSelected,
    SelectRecords,
    SendMessage,
    SendTimeChosen,
    Start,
    StepResult,
    StepTrace,
    TimerFired,
    UpdateProfile,
    Wait,
    WaitState,
)

__all__ = [
    "MAX_TRANSITIONS",
    "ActionDone",
    "AssignmentRecorded",
    "CallAction",
    "ChooseSendTime",
    "Command",
    "Decide",
    "EventReceived",
    "FetchData",
    "Finish",
    "Input",
    "InterpreterError",
    "JourneyState",
    "JumpToJourney",
    "Jumped",
    "LoadProfile",
    "MessageSent",
    "PathStep",
    "PendingCall",
    "ProfileLoaded",
    "ProfileUpdated",
    "RecordAssignment",
    "RecordsSelected",
    "SelectRecords",
    "SendMessage",
    "SendTimeChosen",
    "Start",
    "StepResult",
    "StepTrace",
    "TimerFired",
    "UpdateProfile",
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
    """Ends the journey `errored` with `reason`: a fault of the graph, not of one node."""

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
        ctx = StepContext(definition, _initial_state(definition, input, now), now, seed)
        _guarded(ctx, lambda: _go(ctx, definition.start))
    else:
        ctx = StepContext(definition, _copy(state), now, seed)
        if ctx.state.status == "active":
            _guarded(ctx, lambda: _apply(ctx, input))
    new = ctx.state
    return StepResult(state=new, command=current_command(definition, new), trace=ctx.trace)


def relocate(
    definition: JourneyDefinition,
    state: JourneyState,
    target: str | None,
    now: datetime,
    seed: int,
    *,
    note: str,
    prepare: Callable[[JourneyState], None],
) -> StepResult:
    """Leave the current node (`note` says why), `prepare` the state for `definition`, then
    enter `target` of `definition`, or end the journey `exited` with `note` when it is None.
    What a migration to another version does; a move, not an input, so `step` never does it."""
    now = aware(now)
    ctx = StepContext(definition, _copy(state), now, seed)
    if target is None:
        ctx.finish("exited", note)
    else:
        ctx.leave(note, detail=note)
        prepare(ctx.state)
        _guarded(ctx, lambda: _go(ctx, target))
    new = ctx.state
    return StepResult(state=new, command=current_command(definition, new), trace=ctx.trace)


def current_command(definition: JourneyDefinition, state: JourneyState) -> Command:
    """The command the state is blocked on; derivable, so it is not stored in the state."""
    if state.status != "active":
        return Finish(status=state.status, reason=state.reason)
    if state.pending_events:
        return LoadProfile()
    if state.wait is not None:
        return Wait(until=state.wait.until, event=state.wait.event)
    node = definition.nodes.get(state.node or "")
    command = _kind(node).command(node, state) if node is not None else None
    return command or Finish(status="errored", reason=f"no pending command at node {state.node!r}")


def _kind(node: Node) -> NodeType[Any]:
    return NODE_KINDS[node.type]


def _copy(state: JourneyState) -> JourneyState:
    """A copy `step` may change without touching the caller's state.

    Cheaper than a deep copy (which dominated the cost of a step): only what the
    interpreter mutates in place is copied, the path's last step included, in one
    `update` rather than one validated-model `setattr` per field (the fields end up in
    `model_fields_set` either way).
    """
    new = state.model_copy(
        update={
            "path": [*state.path[:-1], *(s.model_copy() for s in state.path[-1:])],
            "events": dict(state.events),
            "vars": dict(state.vars),
            "messages": dict(state.messages),
            "send_times": dict(state.send_times),
            "visits": dict(state.visits),
            "seen_event_ids": list(state.seen_event_ids),
            "pending_events": list(state.pending_events),
        }
    )
    return new


def _guarded(ctx: StepContext, action: Callable[[], None]) -> None:
    """Run `action`; an error raised anywhere in it ends the journey errored."""
    try:
        action()
    except NodeError as error:
        ctx.finish("errored", _reason(ctx.state.node, error))
    except _Abort as abort:
        ctx.finish("errored", abort.reason)


def _reason(node_id: str | None, error: NodeError) -> str:
    """`nodes.<id>.<field>: <message>`, or `nodes.<id>: <message>` without a field."""
    field = format_path(list(error.field))
    where = f"nodes.{node_id}.{field}" if field else f"nodes.{node_id}"
    return f"{where}: {error.message}"


def _apply(ctx: StepContext, inp: Input) -> None:
    if isinstance(inp, EventReceived):
        _on_event(ctx, inp.event)
    elif isinstance(inp, TimerFired):
        _on_timer(ctx)
    elif isinstance(inp, ProfileLoaded):
        _on_profile(ctx, inp)
    elif not isinstance(inp, Start):  # a second Start is ignored
        _on_result(ctx, inp)


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


def _go(ctx: StepContext, target: str | None) -> None:
    """Enter `target` and keep going through nodes that do not block."""
    for _ in range(MAX_TRANSITIONS):
        if target is None or ctx.state.status != "active":
            return
        target = _enter(ctx, target)
    if target is not None and ctx.state.status == "active":
        raise _Abort(f"more than {MAX_TRANSITIONS} nodes entered without waiting (at {target!r})")


def _enter(ctx: StepContext, node_id: str) -> str | None:
    """Enter a node; return the node to go to at once, or None if blocked or finished."""
    node, state, now = _node(ctx.definition, node_id), ctx.state, ctx.now
    if now >= state.deadline:
        ctx.finish("timed_out", "journey timeout reached")
        return None
    state.node, state.wait, state.call = node_id, None, None
    state.visits[node_id] = state.visits.get(node_id, 0) + 1
    ctx.add_step(PathStep(node=node_id, type=node.type, entered_at=now))
    trace = StepTrace(
        node=node_id,
        visit=state.visits[node_id],
        type=node.type,
        entered_at=now,
        seq=sum(state.visits.values()),  # one more per entry: the order of visits in the run
    )
    ctx.trace.append(trace)
    return _kind(node).enter(node, ctx)


# --- inputs ----------------------------------------------------------------------------


def _remember(state: JourneyState, event: Event) -> None:
    """Record an event for deduplication and for `events[<name>]`, both bounded."""
    state.seen_event_ids.append(event.event_id)
    del state.seen_event_ids[:-SEEN_EVENTS_LIMIT]
    state.events.pop(event.name, None)
    state.events[event.name] = event
    while len(state.events) > EVENTS_LIMIT:
        del state.events[next(iter(state.events))]


def _awaiting(ctx: StepContext, event: Event) -> Node | None:
    """The node the journey is waiting in, if it awaits this event."""
    node = ctx.definition.nodes.get(ctx.node_id)
    if ctx.state.wait is None or node is None:
        return None
    return node if _kind(node).awaits(node, ctx.state, event) else None


def _on_event(ctx: StepContext, event: Event) -> None:
    state = ctx.state
    if event.profile_id != state.profile_id or event.event_id in state.seen_event_ids:
        return
    _remember(state, event)
    node = _awaiting(ctx, event)
    if node is not None and (state.pending_events or _kind(node).reads_profile(node, ctx)):
        state.pending_events.append(event)  # decided once the profile is loaded
        del state.pending_events[:-PENDING_EVENTS_LIMIT]
        return
    if state.pending_events and exit_reason(ctx.definition, event) is None:
        return
    _deliver(ctx, node, event)


def _deliver(ctx: StepContext, node: Node | None, event: Event) -> None:
    """An event the journey can act on now: the awaited one (if the node takes it) or an exit."""
    target = _kind(node).receive(node, ctx, event) if node is not None else None
    if target is not None:
        _go(ctx, target)
    elif (reason := exit_reason(ctx.definition, event)) is not None:
        ctx.finish("exited", reason)


def _on_timer(ctx: StepContext) -> None:
    state = ctx.state
    if state.wait is None or state.pending_events:
        return
    ctx = replace(ctx, now=max(ctx.now, state.wait.until))  # the wait's end was reached
    if ctx.now >= state.deadline:
        ctx.finish("timed_out", "journey timeout reached")
        return
    node = _node(ctx.definition, ctx.node_id)
    state.wait = None
    _go(ctx, _kind(node).on_timer(node, ctx))


def _on_profile(ctx: StepContext, inp: ProfileLoaded) -> None:
    state = ctx.state
    if inp.profile.profile_id != state.profile_id:
        return
    state.profile, state.profile_stale = inp.profile, False
    if state.pending_events:
        _deliver_pending(ctx)
        return
    node = ctx.definition.nodes.get(ctx.node_id)
    if state.wait is not None or node is None:
        return
    kind = _kind(node)
    if kind.resumes and state.call is None:  # resting for a fresh profile: act now
        _go(ctx, kind.act(node, ctx))


def _deliver_pending(ctx: StepContext) -> None:
    """The awaited events held while the profile loaded, in order, while the journey waits."""
    state = ctx.state
    pending, state.pending_events = state.pending_events, []
    for event in pending:
        if state.status != "active" or state.wait is None:
            return
        _deliver(ctx, _awaiting(ctx, event), event)


def _on_result(ctx: StepContext, inp: NodeResult) -> None:
    """The result of the current node's command; one for another node, or while the journey
    waits or loads the profile, does not fit the state and is ignored."""
    state = ctx.state
    if inp.node != state.node or state.pending_events or state.wait is not None:
        return
    node = ctx.definition.nodes.get(inp.node)
    if node is not None:
        _go(ctx, _kind(node).on_result(node, ctx, inp))
