"""What one step of the interpreter works with: `(definition, state, now, seed)` and the
bookkeeping every node type shares (evaluating its expressions, leaving the visit,
finishing the journey, blocking in a wait).

The state is the copy `step` made, so node types change it in place.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from journeys.durations import add_duration
from journeys.expressions import (
    ExpressionError,
    build_context,
    compile_expression,
    compile_template,
    event_data,
    referenced_names,
    template_names,
)
from journeys.nodes.errors import FieldPath, NodeError
from journeys.nodes.values import short
from journeys.records import Event
from journeys.runtime import (
    DEFERRALS,
    PATH_LIMIT,
    Check,
    FinishStatus,
    JourneyState,
    PathStep,
    StepOutcome,
    StepTrace,
    WaitState,
)

if TYPE_CHECKING:
    from journeys.model import JourneyDefinition

_FINISH_KINDS: dict[str, StepOutcome] = {
    "completed": "exited",
    "exited": "exit_criteria",
    "timed_out": "timed_out",
    "errored": "errored",
}
_FINISH_TEXTS = {"completed": "completed", "timed_out": "timed out", "errored": "errored"}


@dataclass
class StepContext:
    """The inputs of one step; `now` moves forward to a wait's end when its timer fires."""

    definition: JourneyDefinition
    state: JourneyState
    now: datetime
    seed: int
    trace: list[StepTrace] = field(default_factory=list)
    """The visits this step began or ended, for `StepResult.trace`. Kept here rather than
    on the state (as a pydantic private attribute, whose every read went through
    `BaseModel.__getattr__`), so the state never carries or serialises it."""

    @property
    def node_id(self) -> str:
        return self.state.node or ""

    @property
    def visit(self) -> int:
        """The current node's visit number (1-based)."""
        return self.state.visits.get(self.node_id, 1)

    def evaluate(self, source: str, field: FieldPath, received: Event | None = None) -> object:
        """Evaluate an expression of the current node; an error ends the journey errored."""
        ctx = self._expression_context()
        if received is not None:
            ctx["received"] = event_data(received)
        try:
            return compile_expression(source).evaluate(ctx)
        except ExpressionError as exc:
            raise NodeError(field, exc.message) from exc

    def render(self, source: str, field: FieldPath) -> str:
        """Render a template of the current node; an error ends the journey errored."""
        try:
            return compile_template(source).render(self._expression_context())
        except ExpressionError as exc:
            raise NodeError(field, exc.message) from exc

    def _expression_context(self) -> dict[str, object]:
        state = self.state
        return build_context(
            profile=state.profile,
            event=state.entry_event,
            events=state.events,
            journey={
                "id": state.journey_id,
                "version": state.version,
                "name": self.definition.name,
            },
            vars=state.vars,
            now=self.now,
        )

    def later(self, duration: str, field: FieldPath) -> datetime:
        """`now` plus an ISO 8601 duration of the current node."""
        try:
            return add_duration(self.now, duration)
        except (ValueError, OverflowError) as exc:
            raise NodeError(field, str(exc)) from exc

    def needs_profile(self, sources: Sequence[str | None], *, template: bool = False) -> bool:
        """True if the profile must be reloaded before evaluating these expressions."""
        return self.state.profile_stale and any(
            s is not None and _mentions_profile(s, template) for s in sources
        )

    def add_step(self, path_step: PathStep) -> None:
        """Append to the bounded path (the oldest steps are only counted)."""
        path = self.state.path
        path.append(path_step)
        if len(path) > PATH_LIMIT:
            del path[0]
            self.state.path_dropped += 1

    def block(self, until: datetime, event: str | None = None, when: str | None = None) -> None:
        """Wait until `until` (never past the deadline); the profile is stale from now on."""
        state = self.state
        state.wait = WaitState(until=min(until, state.deadline), event=event, when=when)
        state.profile_stale = True

    def leave(
        self,
        outcome: str,
        *,
        kind: StepOutcome | None = "exited",
        checks: Sequence[Check] = (),
        detail: str | None = None,
    ) -> None:
        """Close the current path step with `outcome`; with a `kind`, the visit also ends in
        the trace (a quiet-hours deferral closes the path step but not the visit)."""
        last = self.state.path[-1] if self.state.path else None
        if last is None or last.node != self.state.node:
            return
        if kind is not None and (last.left_at is None or last.outcome in DEFERRALS):
            self._trace_leave(last, kind, detail or outcome, checks)
        if last.left_at is None:
            last.left_at = self.now
            last.outcome = outcome

    def _trace_leave(
        self, last: PathStep, kind: StepOutcome, detail: str, checks: Sequence[Check]
    ) -> None:
        node, visit, trace = self.node_id, self.visit, self.trace
        record = next((r for r in trace if r.node == node and r.visit == visit), None)
        if record is None:  # entered in an earlier step
            record = StepTrace(node=node, visit=visit, type=last.type, entered_at=last.entered_at)
            trace.append(record)
        record.left_at, record.outcome = self.now, kind
        record.detail, record.checks = short(detail, kind), list(checks)

    def finish(self, status: FinishStatus, reason: str | None) -> None:
        """End the journey: the current visit ends, nothing is pending any more."""
        text = _FINISH_TEXTS.get(status, reason or status)
        self.leave(text, kind=_FINISH_KINDS[status], detail=reason or text)
        state = self.state
        state.status, state.reason = status, reason
        state.wait, state.pending_events, state.call = None, [], None


@functools.lru_cache(maxsize=1024)
def _mentions_profile(source: str, template: bool = False) -> bool:
    try:
        names = template_names(source) if template else referenced_names(source)
    except ExpressionError:
        return False  # evaluating it will report the error
    return "profile" in names
