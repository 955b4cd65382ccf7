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
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, time

from audiences.problems import format_path
from journeys.audience import exit_reason
from journeys.clock import next_weekday, quiet_hours_end, timezone_for
from journeys.durations import add_duration
from journeys.expressions import (
    ExpressionError,
    aware,
    build_context,
    compile_expression,
    compile_template,
    event_data,
    parse_datetime,
    referenced_names,
    template_names,
)
from journeys.model import (
    HOLDOUT,
    ActionNode,
    ConditionNode,
    EndNode,
    Event,
    ExperimentNode,
    FetchNode,
    JourneyDefinition,
    JumpNode,
    MessageNode,
    Node,
    SplitNode,
    UpdateProfileNode,
    WaitForEventNode,
    WaitNode,
    clock,
)
from journeys.runtime import (
    DEFERRED,
    ERROR_TEXT_LIMIT,
    EVENTS_LIMIT,
    PARAMS_LIMIT,
    PATH_LIMIT,
    PENDING_EVENTS_LIMIT,
    RESPONSE_LIMIT,
    SEEN_EVENTS_LIMIT,
    ActionDone,
    AssignmentRecorded,
    CallAction,
    Check,
    Command,
    EventReceived,
    FetchData,
    Finish,
    FinishStatus,
    Input,
    JourneyState,
    Jumped,
    JumpToJourney,
    LoadProfile,
    MessageSent,
    PathStep,
    PendingCall,
    ProfileLoaded,
    ProfileUpdated,
    RecordAssignment,
    SendMessage,
    Start,
    StepOutcome,
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
    "Command",
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
    "SendMessage",
    "Start",
    "StepResult",
    "StepTrace",
    "TimerFired",
    "UpdateProfile",
    "Wait",
    "WaitState",
    "bucket",
    "current_command",
    "experiment_variant",
    "step",
]

MAX_TRANSITIONS = 1_000  # nodes entered within one step before giving up (a loop)
_FAR_FUTURE = datetime.max.replace(tzinfo=UTC)
_CALL_NODES = (ActionNode, FetchNode, UpdateProfileNode)


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
        _guarded(new, now, lambda: _go(definition, new, definition.start, now, seed))
    else:
        new = _copy(state)
        new._trace = []
        if new.status == "active":
            _guarded(new, now, lambda: _apply(definition, new, input, now, seed))
    trace, new._trace = new._trace, []  # the state compares and serialises without it
    return StepResult(state=new, command=current_command(definition, new), trace=trace)


def current_command(definition: JourneyDefinition, state: JourneyState) -> Command:
    """The command the state is blocked on; derivable, so it is not stored in the state."""
    if state.status != "active":
        return Finish(status=state.status, reason=state.reason)
    if state.pending_events:
        return LoadProfile()
    if state.wait is not None:
        return Wait(until=state.wait.until, event=state.wait.event)
    node_id = state.node or ""
    node = definition.nodes.get(node_id)
    visit = state.visits.get(node_id, 1)
    if isinstance(node, MessageNode):
        return SendMessage(node=node_id, channel=node.channel, template=node.template, visit=visit)
    if isinstance(node, ExperimentNode):
        variant, _ = experiment_variant(state.journey_id, state.profile_id, node_id, node)
        return RecordAssignment(node=node_id, experiment=node_id, variant=variant, visit=visit)
    if isinstance(node, JumpNode):
        return JumpToJourney(node=node_id, journey=node.journey, visit=visit)
    call = state.call if state.call is not None and state.call.node == node_id else None
    if isinstance(node, ActionNode) and call is not None:
        return CallAction(node=node_id, action=node.action, params=call.params, visit=visit)
    if isinstance(node, FetchNode) and call is not None:
        return FetchData(node=node_id, source=node.source, params=call.params, visit=visit)
    if isinstance(node, UpdateProfileNode) and call is not None:
        return UpdateProfile(node=node_id, set=call.set, increment=call.increment, visit=visit)
    if isinstance(node, ConditionNode | WaitNode | ActionNode | FetchNode | UpdateProfileNode):
        return LoadProfile()  # these nodes only rest here while waiting for a fresh profile
    return Finish(status="errored", reason=f"no pending command at node {state.node!r}")


def bucket(key: str, weights: list[int]) -> int:
    """Index of the weighted bucket `key` falls in: sha256 of the key, modulo the total."""
    total = sum(weights)
    if total <= 0:
        return 0
    point = _point(key, total)
    for index, weight in enumerate(weights):
        if point < weight:
            return index
        point -= weight
    return len(weights) - 1  # pragma: no cover - the points always fall in a bucket


def _point(key: str, total: int) -> int:
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") % total


def _bucket_check(key: str, weights: list[int]) -> Check:
    """Why a split or experiment chose its path: the hashed key's point among the weights."""
    total = sum(weights)
    value = _point(key, total) if total > 0 else 0
    return Check(expression=f"sha256({key!r}) mod {total} in weights {weights}", value=value)


def experiment_variant(
    journey_id: str, profile_id: str, node_id: str, node: ExperimentNode
) -> tuple[str, str]:
    """(variant name or "holdout", next node) of a profile: stable per profile."""
    options = [(v.name, v.weight, v.next) for v in node.variants]
    if node.holdout is not None:
        options.append((HOLDOUT, node.holdout.weight, node.holdout.next))
    index = bucket(f"{journey_id}|{profile_id}|{node_id}", [w for _, w, _ in options])
    name, _, target = options[index]
    return name, target


def _copy(state: JourneyState) -> JourneyState:
    """A copy `step` may change without touching the caller's state.

    Cheaper than a deep copy (which dominated the cost of a step): only what the
    interpreter mutates in place is copied, the path's last step included.
    """
    new = state.model_copy()
    new.path = [*state.path[:-1], *(s.model_copy() for s in state.path[-1:])]
    new.events = dict(state.events)
    new.vars = dict(state.vars)
    new.messages = dict(state.messages)
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


def _apply(
    definition: JourneyDefinition, state: JourneyState, inp: Input, now: datetime, seed: int
) -> None:
    if isinstance(inp, EventReceived):
        _on_event(definition, state, inp.event, now, seed)
    elif isinstance(inp, TimerFired):
        _on_timer(definition, state, now, seed)
    elif isinstance(inp, MessageSent):
        _on_sent(definition, state, inp, now, seed)
    elif isinstance(inp, ProfileLoaded):
        _on_profile(definition, state, inp, now, seed)
    elif isinstance(inp, AssignmentRecorded):
        _on_assignment(definition, state, inp, now, seed)
    elif isinstance(inp, ActionDone):
        _on_action_done(definition, state, inp, now, seed)
    elif isinstance(inp, ProfileUpdated):
        _on_profile_updated(definition, state, inp, now, seed)
    elif isinstance(inp, Jumped):
        _on_jumped(definition, state, inp, now, seed)
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
    definition: JourneyDefinition,
    state: JourneyState,
    target: str | None,
    now: datetime,
    seed: int,
) -> None:
    """Enter `target` and keep going through nodes that do not block."""
    for _ in range(MAX_TRANSITIONS):
        if target is None or state.status != "active":
            return
        target = _enter(definition, state, target, now, seed)
    if target is not None and state.status == "active":
        raise _Abort(f"more than {MAX_TRANSITIONS} nodes entered without waiting (at {target!r})")


def _enter(
    definition: JourneyDefinition, state: JourneyState, node_id: str, now: datetime, seed: int
) -> str | None:
    """Enter a node; return the node to go to at once, or None if blocked or finished."""
    node = _node(definition, node_id)
    if now >= state.deadline:
        _finish(state, now, "timed_out", "journey timeout reached")
        return None
    state.node, state.wait, state.call = node_id, None, None
    state.visits[node_id] = state.visits.get(node_id, 0) + 1
    _add_step(state, PathStep(node=node_id, type=node.type, entered_at=now))
    trace = StepTrace(
        node=node_id,
        visit=state.visits[node_id],
        type=node.type,
        entered_at=now,
        seq=sum(state.visits.values()),  # one more per entry: the order of visits in the run
    )
    state._trace.append(trace)
    if isinstance(node, ConditionNode) and node.refresh:
        state.profile_stale = True  # reloaded before the branches are evaluated
    return _act(definition, state, node, now, seed)


def _add_step(state: JourneyState, path_step: PathStep) -> None:
    state.path.append(path_step)
    if len(state.path) > PATH_LIMIT:
        del state.path[0]
        state.path_dropped += 1


def _act(
    definition: JourneyDefinition, state: JourneyState, node: Node, now: datetime, seed: int
) -> str | None:
    """Do what the current node does; return the next node, or None if it blocks."""
    if isinstance(node, EndNode):
        _finish(state, now, "completed", None)
        return None
    if isinstance(node, MessageNode):
        _start_message(state, node, now)
        return None  # SendMessage is pending (or the quiet-hours Wait)
    if isinstance(node, ConditionNode):
        if (node.refresh and state.profile_stale) or _needs_profile(
            state, [branch.when for branch in node.branches]
        ):
            return None
        return _choose(definition, state, node, now)
    if isinstance(node, WaitNode):
        return _start_wait(definition, state, node, now)
    if isinstance(node, WaitForEventNode):
        return _start_wait_for_event(state, node, now)
    if isinstance(node, SplitNode):
        return _split(state, node, now, seed)
    if isinstance(node, ActionNode | FetchNode | UpdateProfileNode):
        _prepare_call(definition, state, node, now)
        return None  # CallAction / FetchData / UpdateProfile is pending (or LoadProfile)
    return None  # experiment, jump: RecordAssignment / JumpToJourney is pending


def _choose(
    definition: JourneyDefinition, state: JourneyState, node: ConditionNode, now: datetime
) -> str:
    """First branch whose `when` is true, else `otherwise`."""
    checks: list[Check] = []
    for index, branch in enumerate(node.branches):
        field = f"branches[{index}].when"
        value = _evaluate(definition, state, branch.when, field, now)
        checks.append(Check(expression=branch.when, value=_shown(value)))
        if value:
            _leave(state, now, f"branch {index}", checks=checks)
            return branch.next
    _leave(state, now, "otherwise", checks=checks)
    return node.otherwise


def _split(state: JourneyState, node: SplitNode, now: datetime, seed: int) -> str:
    node_id = state.node or ""
    key = f"{state.journey_id}|{state.profile_id}|{node_id}"
    if not node.sticky:
        key += f"|{seed}|{state.visits.get(node_id, 1)}"
    weights = [p.weight for p in node.paths]
    path = node.paths[bucket(key, weights)]
    _leave(state, now, f"path {path.name}", checks=[_bucket_check(key, weights)])
    return path.next


def _start_message(state: JourneyState, node: MessageNode, now: datetime) -> None:
    """Defer the send to the end of the quiet hours if the journey is inside them."""
    hours = node.quiet_hours
    if hours is None:
        return
    tz = timezone_for(hours.timezone, state.profile)
    until = quiet_hours_end(now, clock(hours.start), clock(hours.end), tz)
    if until is not None:
        _leave(state, now, DEFERRED, kind=None)  # not a way out: the visit goes on
        _block(state, until, None, None)


def _start_wait(
    definition: JourneyDefinition, state: JourneyState, node: WaitNode, now: datetime
) -> str | None:
    if node.until is not None:
        if _needs_profile(state, [node.until]):
            return None
        until = _as_datetime(_evaluate(definition, state, node.until, "until", now), state)
    elif node.until_time is not None:
        until = aware(node.until_time)
    elif node.next_weekday is not None:
        spec = node.next_weekday
        tz = timezone_for(spec.timezone, state.profile)
        until = next_weekday(now, spec.days, clock(spec.time), tz)
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
    _block(state, until, node.awaited, node.when)
    return None


def _prepare_call(
    definition: JourneyDefinition,
    state: JourneyState,
    node: ActionNode | FetchNode | UpdateProfileNode,
    now: datetime,
) -> None:
    """Evaluate the node's params (or profile values) into `state.call`, once fresh enough."""
    node_id = state.node or ""
    if isinstance(node, UpdateProfileNode):
        if _needs_profile(state, [*node.set.values(), *node.increment.values()]):
            return
        values = {
            attr: _plain(_evaluate(definition, state, source, field, now), state, field)
            for attr, source in node.set.items()
            for field in [_field("set", attr)]
        }
        increments = {
            attr: _number(_evaluate(definition, state, source, field, now), state, field)
            for attr, source in node.increment.items()
            for field in [_field("increment", attr)]
        }
        state.call = PendingCall(node=node_id, set=values, increment=increments)
        return
    templates = [value for value in node.params.values() if isinstance(value, str)]
    if _needs_profile(state, templates, template=True):
        return
    params, size = {}, 0
    for key, value in node.params.items():
        if isinstance(value, str):
            value = _render(definition, state, value, _field("params", key), now)
            size += len(value)
            if size > PARAMS_LIMIT:
                limit = f"{PARAMS_LIMIT:,}"
                raise _Abort(f"nodes.{node_id}.params: rendered params exceed {limit} characters")
        params[key] = value
    state.call = PendingCall(node=node_id, params=params)


def _block(state: JourneyState, until: datetime, event: str | None, when: str | None) -> None:
    """Wait until `until` (never past the deadline); the profile is stale from now on."""
    state.wait = WaitState(until=min(until, state.deadline), event=event, when=when)
    state.profile_stale = True


def _leave(
    state: JourneyState,
    now: datetime,
    outcome: str,
    *,
    kind: StepOutcome | None = "exited",
    checks: Sequence[Check] = (),
    detail: str | None = None,
) -> None:
    """Close the current path step with `outcome`; with a `kind`, the visit also ends in
    the trace (a quiet-hours deferral closes the path step but not the visit)."""
    last = state.path[-1] if state.path else None
    if last is None or last.node != state.node:
        return
    if kind is not None and (last.left_at is None or last.outcome == DEFERRED):
        _trace_leave(state, last, now, kind, detail or outcome, checks)
    if last.left_at is None:
        last.left_at = now
        last.outcome = outcome


def _trace_leave(
    state: JourneyState,
    last: PathStep,
    now: datetime,
    kind: StepOutcome,
    detail: str,
    checks: Sequence[Check],
) -> None:
    node = state.node or ""
    visit = state.visits.get(node, 1)
    record = next((r for r in state._trace if r.node == node and r.visit == visit), None)
    if record is None:  # entered in an earlier step
        record = StepTrace(node=node, visit=visit, type=last.type, entered_at=last.entered_at)
        state._trace.append(record)
    record.left_at, record.outcome = now, kind
    record.detail, record.checks = _short(detail, kind), list(checks)


_FINISH_KINDS: dict[str, StepOutcome] = {
    "completed": "exited",
    "exited": "exit_criteria",
    "timed_out": "timed_out",
    "errored": "errored",
}


def _finish(state: JourneyState, now: datetime, status: FinishStatus, reason: str | None) -> None:
    outcome = {"completed": "completed", "timed_out": "timed out", "errored": "errored"}
    text = outcome.get(status, reason or status)
    _leave(state, now, text, kind=_FINISH_KINDS[status], detail=reason or text)
    state.status, state.reason = status, reason
    state.wait, state.pending_events, state.call = None, [], None


# --- expressions -----------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def _mentions_profile(source: str, template: bool = False) -> bool:
    try:
        names = template_names(source) if template else referenced_names(source)
    except ExpressionError:
        return False  # evaluating it will report the error
    return "profile" in names


def _needs_profile(
    state: JourneyState, sources: Sequence[str | None], *, template: bool = False
) -> bool:
    """True if the profile must be reloaded before evaluating these expressions."""
    return state.profile_stale and any(
        s is not None and _mentions_profile(s, template) for s in sources
    )


def _context(
    definition: JourneyDefinition, state: JourneyState, now: datetime
) -> dict[str, object]:
    return build_context(
        profile=state.profile,
        event=state.entry_event,
        events=state.events,
        journey={"id": state.journey_id, "version": state.version, "name": definition.name},
        vars=state.vars,
        now=now,
    )


def _field(*parts: str | int) -> str:
    """`params`, `a b` → `params["a b"]`: a field path inside the current node."""
    return format_path(list(parts))


def _evaluate(
    definition: JourneyDefinition,
    state: JourneyState,
    source: str,
    field: str,
    now: datetime,
    received: Event | None = None,
) -> object:
    """Evaluate an expression of the current node; an error ends the journey errored."""
    ctx = _context(definition, state, now)
    if received is not None:
        ctx["received"] = event_data(received)
    try:
        return compile_expression(source).evaluate(ctx)
    except ExpressionError as exc:
        raise _Abort(f"nodes.{state.node}.{field}: {exc.message}") from exc


def _render(
    definition: JourneyDefinition, state: JourneyState, source: str, field: str, now: datetime
) -> str:
    """Render a template param of the current node; an error ends the journey errored."""
    try:
        return compile_template(source).render(_context(definition, state, now))
    except ExpressionError as exc:
        raise _Abort(f"nodes.{state.node}.{field}: {exc.message}") from exc


def _plain(value: object, state: JourneyState, field: str) -> object:
    """An evaluated value as JSON data: datetimes and dates become ISO 8601 strings."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        return str(value)  # Markup and other subclasses as plain text
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _Abort(f"nodes.{state.node}.{field}: {value} is not a JSON number")
        return value
    if isinstance(value, datetime):
        return aware(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        if not all(isinstance(key, str) for key in value):
            raise _Abort(f"nodes.{state.node}.{field}: mapping keys must be strings")
        return {key: _plain(item, state, field) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item, state, field) for item in value]
    kind = type(value).__name__
    raise _Abort(f"nodes.{state.node}.{field}: a {kind} is not a value a profile can store")


def _number(value: object, state: JourneyState, field: str) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        kind = type(value).__name__
        raise _Abort(f"nodes.{state.node}.{field}: expected a number, got {kind}")
    if not math.isfinite(value):
        raise _Abort(f"nodes.{state.node}.{field}: {value} is not a usable number")
    return value


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


def _shown(value: object) -> object:
    """An evaluated value as the step ledger shows it: JSON scalars as they are, else text."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    text = str(value)
    return text if len(text) <= 200 else text[:199] + "…"


def _short(text: str | None, default: str) -> str:
    text = text or default
    if len(text) > ERROR_TEXT_LIMIT:
        return text[: ERROR_TEXT_LIMIT - 1] + "…"
    return text


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
    definition: JourneyDefinition, state: JourneyState, event: Event
) -> WaitForEventNode | None:
    """The wait_for_event node the journey is waiting in, if it awaits this event.

    A `reaction` awaits `message.<kind>` whose `properties.message_id` is the id of the
    message last sent at the reaction's message node in this run.
    """
    node = definition.nodes.get(state.node or "")
    if state.wait is None or not isinstance(node, WaitForEventNode):
        return None
    if node.awaited != event.name:
        return None
    if node.reaction is not None:
        sent_id = state.messages.get(node.reaction.to)
        if sent_id is None or event.properties.get("message_id") != sent_id:
            return None
    return node


def _on_event(
    definition: JourneyDefinition, state: JourneyState, event: Event, now: datetime, seed: int
) -> None:
    if event.profile_id != state.profile_id or event.event_id in state.seen_event_ids:
        return
    _remember(state, event)
    node = _awaiting(definition, state, event)
    if node is not None and (state.pending_events or _needs_profile(state, [node.when])):
        state.pending_events.append(event)  # decided once the profile is loaded
        del state.pending_events[:-PENDING_EVENTS_LIMIT]
        return
    if state.pending_events and exit_reason(definition, event) is None:
        return
    _deliver(definition, state, node, event, now, seed)


def _deliver(
    definition: JourneyDefinition,
    state: JourneyState,
    node: WaitForEventNode | None,
    event: Event,
    now: datetime,
    seed: int,
) -> None:
    """An event the journey can act on now: the awaited one (if `when` passes) or an exit."""
    checks: list[Check] = []
    passed = node is not None and node.when is None
    if node is not None and node.when is not None:
        value = _evaluate(definition, state, node.when, "when", now, event)
        checks.append(Check(expression=node.when, value=_shown(value)))
        passed = bool(value)
    if node is not None and passed:
        _leave(state, now, f"event {event.name}", checks=checks)
        _go(definition, state, node.on_event, now, seed)
    elif (reason := exit_reason(definition, event)) is not None:
        _finish(state, now, "exited", reason)


def _on_timer(definition: JourneyDefinition, state: JourneyState, now: datetime, seed: int) -> None:
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
        _go(definition, state, node.on_timeout, now, seed)
    elif isinstance(node, WaitNode):
        _leave(state, now, "elapsed")
        _go(definition, state, node.next, now, seed)
    elif isinstance(node, MessageNode):
        # The quiet hours are over: the send (same visit, same message id) is pending.
        _add_step(state, PathStep(node=state.node or "", type=node.type, entered_at=now))


def _result_node(definition: JourneyDefinition, state: JourneyState, node_id: str) -> Node | None:
    """The current node if a command result for `node_id` fits the state, else None."""
    if node_id != state.node or state.pending_events or state.wait is not None:
        return None
    return definition.nodes.get(node_id)


def _on_sent(
    definition: JourneyDefinition, state: JourneyState, inp: MessageSent, now: datetime, seed: int
) -> None:
    node = _result_node(definition, state, inp.node)
    if not isinstance(node, MessageNode):
        return
    state.messages[inp.node] = inp.message_id
    _leave(state, now, f"{inp.status} {inp.message_id}")
    _go(definition, state, node.next, now, seed)


def _on_profile(
    definition: JourneyDefinition, state: JourneyState, inp: ProfileLoaded, now: datetime, seed: int
) -> None:
    if inp.profile.profile_id != state.profile_id:
        return
    state.profile, state.profile_stale = inp.profile, False
    if state.pending_events:
        pending, state.pending_events = state.pending_events, []
        for event in pending:
            if state.status != "active" or state.wait is None:
                return
            _deliver(definition, state, _awaiting(definition, state, event), event, now, seed)
        return
    node = definition.nodes.get(state.node or "")
    if state.wait is not None or node is None:
        return
    resting_call = isinstance(node, _CALL_NODES) and state.call is None
    if isinstance(node, ConditionNode | WaitNode) or resting_call:
        _go(definition, state, _act(definition, state, node, now, seed), now, seed)


def _on_assignment(
    definition: JourneyDefinition,
    state: JourneyState,
    inp: AssignmentRecorded,
    now: datetime,
    seed: int,
) -> None:
    node = _result_node(definition, state, inp.node)
    if not isinstance(node, ExperimentNode):
        return
    variant, target = experiment_variant(state.journey_id, state.profile_id, inp.node, node)
    weights = [v.weight for v in node.variants]
    if node.holdout is not None:
        weights.append(node.holdout.weight)
    key = f"{state.journey_id}|{state.profile_id}|{inp.node}"
    _leave(state, now, f"variant {variant}", checks=[_bucket_check(key, weights)])
    _go(definition, state, target, now, seed)


def _response_size(response: dict[str, object]) -> int:
    try:
        return len(json.dumps(response, default=str, separators=(",", ":")))
    except (TypeError, ValueError):
        return RESPONSE_LIMIT + 1


def _on_action_done(
    definition: JourneyDefinition, state: JourneyState, inp: ActionDone, now: datetime, seed: int
) -> None:
    node = _result_node(definition, state, inp.node)
    if not isinstance(node, ActionNode | FetchNode) or state.call is None:
        return
    state.call = None
    ok, error = inp.ok, inp.error
    response = inp.response if inp.response is not None else {}
    if ok and _response_size(response) > RESPONSE_LIMIT:
        ok, error = False, f"response too large (limit {RESPONSE_LIMIT:,} characters as JSON)"
    if ok:
        state.vars[inp.node] = response
        _leave(state, now, "ok")
        _go(definition, state, node.next, now, seed)
        return
    error = _short(error, "failed")
    if node.on_error is None:
        raise _Abort(f"nodes.{inp.node}: {error}")
    state.vars[inp.node] = {"error": error}
    _leave(state, now, f"error: {error}")
    _go(definition, state, node.on_error, now, seed)


def _on_profile_updated(
    definition: JourneyDefinition,
    state: JourneyState,
    inp: ProfileUpdated,
    now: datetime,
    seed: int,
) -> None:
    node = _result_node(definition, state, inp.node)
    if not isinstance(node, UpdateProfileNode) or state.call is None:
        return
    if inp.profile.profile_id != state.profile_id:
        return
    state.call = None
    state.profile, state.profile_stale = inp.profile, False
    _leave(state, now, "updated")
    _go(definition, state, node.next, now, seed)


def _on_jumped(
    definition: JourneyDefinition, state: JourneyState, inp: Jumped, now: datetime, seed: int
) -> None:
    node = _result_node(definition, state, inp.node)
    if not isinstance(node, JumpNode):
        return
    if inp.ok:
        outcome = f"jumped to {node.journey}"
    else:
        outcome = f"jump to {node.journey} failed: {_short(inp.error, 'failed')}"
    _leave(state, now, outcome)
    if node.end:
        _finish(state, now, "completed", outcome)
    else:
        _go(definition, state, node.next, now, seed)
