"""Moving a running profile from one published version of a journey to another.

A move happens only where the profile rests: blocked in a `wait` or a `wait_for_event`
(a deferred send, a pending action or a profile load is never moved). The plan maps node
ids of version *a* to node ids of version *b*; the safety rules, checked before anything
moves (`check_plan`), are:

- every source exists in *a* and every target in *b*;
- a `wait` or `wait_for_event` maps only to a `wait` or `wait_for_event`: the profile
  never leaves its rest point at the move, so nothing is sent by the move itself;
- a wait keeps its deadline only when it maps to a node of the same type; mapping it to
  the other kind is refused unless `restart_waits`, and then the target's wait starts
  afresh at the move (a `wait_for_event` moved to a `wait_for_event` keeps its deadline
  and awaits the target's event);
- a `message` node maps only to a `message` node;
- `when`, if given, is an expression over the names a node's expressions read
  (`profile`, `event` — the entry event —, `events`, `vars`, `journey`, `now`): a profile
  moves only where it is true, judged when its run applies the move (a dry run judges it
  now); an expression that fails for a profile leaves that profile where it is.

Mapped nodes carry their visit counts, remembered message ids, chosen send times and
`vars` to their targets, so a reaction awaited in *b* finds the message sent in *a*, and
a message node entered again after the move numbers its visit after the ones before it: a
message id (workflow, run, node, visit) that was sent is never produced again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from journeys.expressions import ExpressionError, build_context, compile_expression
from journeys.interpreter import current_command, relocate
from journeys.model import JourneyDefinition
from journeys.runtime import JourneyState, StepResult
from journeys.validate import expression_problem

REST_TYPES = frozenset({"wait", "wait_for_event"})
Unmapped = Literal["stay", "exit"]
T = TypeVar("T")


class MigrationPlan(BaseModel):
    """What to move: from which version to which, node by node, and whom."""

    model_config = ConfigDict(extra="forbid")

    from_version: int
    to_version: int
    mapping: dict[str, str] = Field(description="Node of version a -> node of version b")
    unmapped: Unmapped = Field(
        default="stay",
        description="A profile resting at an unmapped node stays in version a, or exits",
    )
    restart_waits: bool = Field(
        default=False,
        description="Allow a wait mapped to the other kind of wait; its wait starts afresh",
    )
    at: list[str] | None = Field(
        default=None, description="Only profiles waiting at one of these nodes of version a"
    )
    when: str | None = Field(
        default=None,
        max_length=2000,
        description="Only profiles for whom this expression is true, e.g. "
        "`profile.attributes.plan == 'pro'`",
    )


@dataclass(frozen=True)
class PlanProblem:
    """An unsafe part of a plan: the request field (`mapping.wait_day`) and why."""

    field: str
    message: str


@dataclass(frozen=True)
class Refusal:
    """Why one profile is not moved (it stays where it is)."""

    reason: str


def check_plan(
    a: JourneyDefinition, b: JourneyDefinition, plan: MigrationPlan
) -> list[PlanProblem]:
    """Every unsafe mapping of `plan`, empty when it may run."""
    if plan.to_version == plan.from_version:
        return [PlanProblem("to_version", f"the runs are in version {plan.from_version} already")]
    problems = [
        p for src, dst in plan.mapping.items() for p in _mapping_problems(a, b, src, dst, plan)
    ]
    for i, node in enumerate(plan.at or []):
        if node not in a.nodes:
            problems.append(
                PlanProblem(f"at[{i}]", f"no node {node!r} in version {plan.from_version}")
            )
    wrong = expression_problem(plan.when) if plan.when is not None else None
    if wrong is not None:
        problems.append(PlanProblem("when", wrong))
    return problems


def _mapping_problems(
    a: JourneyDefinition, b: JourneyDefinition, src: str, dst: str, plan: MigrationPlan
) -> list[PlanProblem]:
    field = f"mapping.{src}"
    if src not in a.nodes:
        return [PlanProblem(field, f"no node {src!r} in version {plan.from_version}")]
    if dst not in b.nodes:
        return [PlanProblem(field, f"no node {dst!r} in version {plan.to_version}")]
    old, new = a.nodes[src].type, b.nodes[dst].type
    if old in REST_TYPES and new not in REST_TYPES:
        return [PlanProblem(field, f"a {old} maps only to a wait or wait_for_event, not a {new}")]
    if old in REST_TYPES and old != new and not plan.restart_waits:
        return [
            PlanProblem(
                field,
                f"the {old}'s deadline cannot be carried over to a {new}; "
                "set restart_waits to start its wait afresh",
            )
        ]
    if old == "message" and new != "message":
        return [PlanProblem(field, f"a message node maps only to a message node, not a {new}")]
    return []


def migrate(
    state: JourneyState,
    a: JourneyDefinition,
    b: JourneyDefinition,
    plan: MigrationPlan,
    now: datetime,
    seed: int,
) -> StepResult | Refusal:
    """The profile's state moved into version b, or why it is not moved. The plan is
    assumed checked (`check_plan`)."""
    refusal = _refusal(state, a, plan) or _filtered(state, a, plan, now)
    if refusal is not None:
        return refusal
    node = state.node or ""
    target = plan.mapping.get(node)
    note = _note(plan, target)
    rename = _renamer(plan)
    moved = relocate(b, state, target, now, seed, note=note, prepare=rename)
    if target is not None and a.nodes[node].type == b.nodes[target].type:
        return _keep_deadline(b, moved, state)
    return moved


def _refusal(state: JourneyState, a: JourneyDefinition, plan: MigrationPlan) -> Refusal | None:
    node = state.node or ""
    if state.status != "active":
        return Refusal(f"the journey is {state.status}")
    if state.version != plan.from_version:
        return Refusal(f"at version {state.version}")
    if state.wait is None or state.pending_events or state.call is not None:
        return Refusal("not resting in a wait")
    if node not in a.nodes or a.nodes[node].type not in REST_TYPES:
        return Refusal(f"resting at {node!r}, not a wait")
    if plan.at is not None and node not in plan.at:
        return Refusal(f"waiting at {node!r}, not in at")
    if node not in plan.mapping and plan.unmapped == "stay":
        return Refusal(f"{node!r} is not mapped")
    return None


def _filtered(
    state: JourneyState, a: JourneyDefinition, plan: MigrationPlan, now: datetime
) -> Refusal | None:
    """The plan's `when` for this profile, read as a node's expression would read it."""
    if plan.when is None:
        return None
    journey = {"id": state.journey_id, "version": state.version, "name": a.name}
    context = build_context(
        profile=state.profile,
        event=state.entry_event,
        events=state.events,
        journey=journey,
        vars=state.vars,
        now=now,
    )
    try:
        chosen = compile_expression(plan.when).evaluate(context)
    except ExpressionError as exc:
        return Refusal(f"when failed: {exc.message}")
    return None if chosen else Refusal("when is false")


def _note(plan: MigrationPlan, target: str | None) -> str:
    if target is None:
        return f"exited at the move to version {plan.to_version}: node not mapped"
    return f"moved to version {plan.to_version} at {target}"


def _renamer(plan: MigrationPlan) -> Callable[[JourneyState], None]:
    """The preparation of a state for version b: its version, and the per-node records
    (visits, message ids, chosen send times, vars) of mapped nodes under their new ids."""

    def prepare(state: JourneyState) -> None:
        state.version = plan.to_version
        state.visits = _renamed(state.visits, plan.mapping)
        state.messages = _renamed(state.messages, plan.mapping)
        state.send_times = _renamed(state.send_times, plan.mapping)
        state.vars = _renamed(state.vars, plan.mapping)

    return prepare


def _renamed(records: Mapping[str, T], mapping: Mapping[str, str]) -> dict[str, T]:
    """`records` keyed by node, mapped nodes under their targets (a mapped record wins)."""
    kept = {node: value for node, value in records.items() if node not in mapping}
    return kept | {mapping[node]: value for node, value in records.items() if node in mapping}


def _keep_deadline(b: JourneyDefinition, moved: StepResult, before: JourneyState) -> StepResult:
    """A wait mapped to the same kind of wait ends when it would have ended in version a."""
    state, old = moved.state, before.wait
    if state.wait is None or old is None:
        return moved
    state.wait = state.wait.model_copy(update={"until": min(old.until, state.deadline)})
    return moved.model_copy(update={"state": state, "command": current_command(b, state)})
