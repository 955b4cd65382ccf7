"""Moving a resting profile between versions: the plan's safety rules and the state move."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from journeys.interpreter import (
    EventReceived,
    MessageSent,
    SendMessage,
    Start,
    StepResult,
    TimerFired,
    Wait,
    current_command,
    step,
)
from journeys.migration import MigrationPlan, PlanProblem, Refusal, check_plan, migrate
from journeys.model import Event, JourneyDefinition, Profile
from journeys.validate import parse_definition

T0 = datetime(2024, 1, 31, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
PROFILE = Profile(profile_id="p1", email="ada@example.com")
ENTRY = Event(event_id="e0", name="cart.updated", profile_id="p1", timestamp=T0)
END = {"type": "end"}


def definition(nodes: dict[str, Any]) -> JourneyDefinition:
    data = {
        "id": "test",
        "name": "Test",
        "entry": {"event": "cart.updated"},
        "timeout": "P30D",
        "start": next(iter(nodes)),
        "nodes": nodes,
    }
    parsed, problems = parse_definition(data)
    assert parsed is not None, problems
    return parsed


def msg(next_: str, template: str = "t") -> dict[str, Any]:
    return {"type": "message", "channel": "email", "template": template, "next": next_}


def wfe(on_event: str, on_timeout: str, event: str = "order.completed") -> dict[str, Any]:
    return {
        "type": "wait_for_event",
        "event": event,
        "timeout": "PT10H",
        "on_event": on_event,
        "on_timeout": on_timeout,
    }


V1 = definition(
    {
        "welcome": msg("await"),
        "await": wfe("thanks", "remind"),
        "thanks": msg("done", "thanks_v1"),
        "remind": msg("done", "remind_v1"),
        "done": END,
    }
)
V2 = definition(
    {
        "hello": msg("await_order"),
        "await_order": wfe("thank_you", "nudge"),
        "thank_you": msg("finish", "thanks_v2"),
        "nudge": msg("pause", "remind_v2"),
        "pause": {"type": "wait", "duration": "PT2H", "next": "finish"},
        "finish": END,
    }
)
MAPPING = {"welcome": "hello", "await": "await_order"}


def plan(**changes: Any) -> MigrationPlan:
    return MigrationPlan(from_version=1, to_version=2, mapping=MAPPING).model_copy(update=changes)


def resting_in_v1(at: timedelta = HOUR) -> StepResult:
    """Entered at T0, welcome sent, waiting at `await` (deadline T0 + 10h)."""
    start = Start(entry_event=ENTRY, profile=PROFILE, journey_id="test", version=1)
    first = step(V1, None, start, T0, 7)
    assert isinstance(first.command, SendMessage) and first.command.node == "welcome"
    sent = MessageSent(node="welcome", message_id="m-welcome-1", status="sent")
    rest = step(V1, first.state, sent, T0, 7)
    assert rest.command == Wait(until=T0 + 10 * HOUR, event="order.completed")
    return rest


def moved(result: StepResult | Refusal) -> StepResult:
    assert isinstance(result, StepResult), result
    assert current_command(V2, result.state) == result.command
    assert StepResult.model_validate_json(result.model_dump_json()) == result
    return result


# --- the plan's safety rules -------------------------------------------------------------


def test_a_safe_plan_has_no_problems() -> None:
    assert check_plan(V1, V2, plan()) == []


@pytest.mark.parametrize(
    ("mapping", "restart", "problem"),
    [
        ({"nope": "hello"}, False, PlanProblem("mapping.nope", "no node 'nope' in version 1")),
        (
            {"await": "gone"},
            False,
            PlanProblem("mapping.await", "no node 'gone' in version 2"),
        ),
        (
            {"await": "pause"},
            False,
            PlanProblem(
                "mapping.await",
                "the wait_for_event's deadline cannot be carried over to a wait; "
                "set restart_waits to start its wait afresh",
            ),
        ),
        (
            {"await": "nudge"},
            True,
            PlanProblem(
                "mapping.await",
                "a wait_for_event maps only to a wait or wait_for_event, not a message",
            ),
        ),
        (
            {"welcome": "finish"},
            False,
            PlanProblem("mapping.welcome", "a message node maps only to a message node, not a end"),
        ),
    ],
)
def test_unsafe_mappings_are_refused_naming_the_field(
    mapping: dict[str, str], restart: bool, problem: PlanProblem
) -> None:
    assert check_plan(V1, V2, plan(mapping=mapping, restart_waits=restart)) == [problem]


def test_restart_waits_allows_a_wait_for_event_into_a_wait() -> None:
    assert check_plan(V1, V2, plan(mapping={"await": "pause"}, restart_waits=True)) == []


def test_a_move_to_the_same_version_is_refused() -> None:
    assert check_plan(V1, V1, plan(to_version=1)) == [
        PlanProblem("to_version", "the runs are in version 1 already")
    ]


def test_an_unknown_filter_node_is_refused() -> None:
    assert check_plan(V1, V2, plan(at=["await", "x"])) == [
        PlanProblem("at[1]", "no node 'x' in version 1")
    ]


def test_a_filter_expression_that_does_not_compile_or_reads_unknown_names_is_refused() -> None:
    assert check_plan(V1, V2, plan(when="profile.email ==")) == [
        PlanProblem("when", "invalid expression: syntax error: unexpected 'end of template'")
    ]
    assert check_plan(V1, V2, plan(when="received.name == 'x'")) == [
        PlanProblem("when", "`received` is only available in the `when` of a wait_for_event")
    ]
    assert check_plan(V1, V2, plan(when="profile.email.endswith('@example.com')")) == []


# --- the state move ------------------------------------------------------------------------


def test_a_resting_profile_moves_keeping_its_deadline_and_its_message() -> None:
    result = moved(migrate(resting_in_v1().state, V1, V2, plan(), T0 + HOUR, 7))
    state = result.state
    assert (state.version, state.node) == (2, "await_order")
    assert result.command == Wait(until=T0 + 10 * HOUR, event="order.completed")
    assert state.messages == {"hello": "m-welcome-1"}
    assert state.visits == {"hello": 1, "await_order": 2}
    assert [(s.node, s.outcome) for s in state.path] == [
        ("welcome", "sent m-welcome-1"),
        ("await", "moved to version 2 at await_order"),
        ("await_order", None),
    ]
    assert [(t.node, t.visit, t.outcome) for t in result.trace] == [
        ("await", 1, "exited"),
        ("await_order", 2, None),
    ]


def test_the_awaited_event_then_takes_the_v2_path() -> None:
    state = moved(migrate(resting_in_v1().state, V1, V2, plan(), T0 + HOUR, 7)).state
    event = Event(event_id="e1", name="order.completed", profile_id="p1", timestamp=T0)
    after = step(V2, state, EventReceived(event=event), T0 + 2 * HOUR, 7)
    assert isinstance(after.command, SendMessage)
    assert (after.command.node, after.command.template, after.command.visit) == (
        "thank_you",
        "thanks_v2",
        1,
    )


def test_the_kept_deadline_fires_the_v2_timeout_path() -> None:
    state = moved(migrate(resting_in_v1().state, V1, V2, plan(), T0 + HOUR, 7)).state
    after = step(V2, state, TimerFired(), T0 + 10 * HOUR, 7)
    assert isinstance(after.command, SendMessage) and after.command.template == "remind_v2"


def test_restart_waits_starts_the_target_wait_afresh() -> None:
    chosen = plan(mapping={"await": "pause"}, restart_waits=True)
    result = moved(migrate(resting_in_v1().state, V1, V2, chosen, T0 + 3 * HOUR, 7))
    assert result.state.node == "pause"
    assert result.command == Wait(until=T0 + 5 * HOUR)


def test_an_unmapped_node_stays_or_exits_as_asked() -> None:
    state = resting_in_v1().state
    assert migrate(state, V1, V2, plan(mapping={}), T0, 7) == Refusal("'await' is not mapped")
    gone = moved(migrate(state, V1, V2, plan(mapping={}, unmapped="exit"), T0, 7))
    assert (gone.state.status, gone.state.reason) == (
        "exited",
        "exited at the move to version 2: node not mapped",
    )


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"from_version": 3}, "at version 1"),
        ({"at": ["welcome"]}, "waiting at 'await', not in at"),
    ],
)
def test_profiles_outside_the_plan_are_not_moved(changes: dict[str, Any], reason: str) -> None:
    assert migrate(resting_in_v1().state, V1, V2, plan(**changes), T0, 7) == Refusal(reason)


@pytest.mark.parametrize(
    ("when", "outcome"),
    [
        ("profile.email.endswith('@example.com') and event.name == 'cart.updated'", None),
        ("vars.missing is defined", Refusal("when is false")),
        ("journey.version == 2", Refusal("when is false")),
        ("1 / 0 > 1", Refusal("when failed: division by zero")),
    ],
)
def test_the_filter_expression_reads_the_profile_as_its_nodes_would(
    when: str, outcome: Refusal | None
) -> None:
    result = migrate(resting_in_v1().state, V1, V2, plan(when=when), T0 + HOUR, 7)
    if outcome is None:
        assert moved(result).state.node == "await_order"
    else:
        assert result == outcome


def test_a_profile_not_resting_in_a_wait_is_not_moved() -> None:
    start = Start(entry_event=ENTRY, profile=PROFILE, journey_id="test", version=1)
    sending = step(V1, None, start, T0, 7).state
    assert migrate(sending, V1, V2, plan(), T0, 7) == Refusal("not resting in a wait")


def test_migrate_does_not_change_its_input() -> None:
    state = resting_in_v1().state
    before = state.model_dump()
    migrate(state, V1, V2, plan(), T0 + HOUR, 7)
    assert state.model_dump() == before
