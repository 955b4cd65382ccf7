"""The interpreter, node by node and input by input, plus the reference abandoned-cart journey."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from journeys.interpreter import (
    MAX_TRANSITIONS,
    Command,
    EventReceived,
    Finish,
    Input,
    InterpreterError,
    JourneyState,
    LoadProfile,
    MessageSent,
    ProfileLoaded,
    SendMessage,
    Start,
    StepResult,
    TimerFired,
    Wait,
    current_command,
    step,
)
from journeys.model import Event, JourneyDefinition, Profile
from journeys.runtime import PATH_LIMIT, SEEN_EVENTS_LIMIT
from journeys.validate import parse_definition

T0 = datetime(2024, 1, 31, 12, 0, tzinfo=UTC)
MIN, HOUR, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)
PROFILE = Profile(profile_id="p1", email="ada@example.com", attributes={"plan": "free"})
END = {"type": "end"}


# --- building blocks -------------------------------------------------------------------


def ev(name: str, event_id: str, profile_id: str = "p1", **props: Any) -> Event:
    return Event(
        event_id=event_id, name=name, profile_id=profile_id, timestamp=T0, properties=props
    )


ENTRY = ev("cart.updated", "e0", total=150, deliver_at=(T0 + 2 * DAY).isoformat())


def msg(next_: str, channel: str = "email") -> dict[str, Any]:
    return {"type": "message", "channel": channel, "template": "t", "next": next_}


def wait(next_: str, duration: str | None = None, until: str | None = None) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "wait", "next": next_}
    node.update({"duration": duration} if duration else {"until": until})
    return node


def cond(branches: list[tuple[str, str]], otherwise: str) -> dict[str, Any]:
    arms = [{"when": when, "next": target} for when, target in branches]
    return {"type": "condition", "branches": arms, "otherwise": otherwise}


def wfe(
    on_event: str, on_timeout: str, when: str | None = None, timeout: str = "PT1H"
) -> dict[str, Any]:
    node = {"type": "wait_for_event", "event": "order.completed", "timeout": timeout}
    node.update({"on_event": on_event, "on_timeout": on_timeout})
    return {**node, "when": when} if when else node


def definition(nodes: dict[str, Any], *, validate: bool = True, **top: Any) -> JourneyDefinition:
    data = {
        "id": "test",
        "name": "Test",
        "entry": {"event": "cart.updated"},
        "exit_on": ["unsubscribed"],
        "timeout": "P30D",
        "start": next(iter(nodes)),
        "nodes": nodes,
        **top,
    }
    if not validate:
        return JourneyDefinition.model_validate(data)
    parsed, problems = parse_definition(data)
    assert parsed is not None, problems
    return parsed


def sent(node: str, message_id: str, status: str = "sent") -> MessageSent:
    return MessageSent(node=node, message_id=message_id, status=status)  # type: ignore[arg-type]


def got(name: str, event_id: str, profile_id: str = "p1", **props: Any) -> EventReceived:
    return EventReceived(event=ev(name, event_id, profile_id, **props))


def loaded(profile_id: str = "p1", **attributes: Any) -> ProfileLoaded:
    return ProfileLoaded(profile=Profile(profile_id=profile_id, attributes=attributes))


FIRED = TimerFired()


class Run:
    """Drives `step` and checks, at every step, what must always hold."""

    def __init__(self, defn: JourneyDefinition, entry: Event = ENTRY, profile: Profile = PROFILE):
        self.defn = defn
        start = Start(entry_event=entry, profile=profile, journey_id="test", version=1)
        self.result = self._check(None, step(defn, None, start, T0, 7))

    def feed(self, inp: Input, at: timedelta) -> Command:
        before = self.result.state.model_dump()
        result = step(self.defn, self.result.state, inp, T0 + at, 7)
        assert self.result.state.model_dump() == before, "step mutated its input state"
        self.result = self._check(self.result, result)
        return result.command

    def _check(self, previous: StepResult | None, result: StepResult) -> StepResult:
        assert current_command(self.defn, result.state) == result.command
        assert StepResult.model_validate_json(result.model_dump_json()) == result
        if isinstance(result.command, Wait):
            assert result.command.until <= result.state.deadline
        return result

    @property
    def command(self) -> Command:
        return self.result.command

    @property
    def state(self) -> JourneyState:
        return self.result.state

    def outcomes(self) -> list[tuple[str, str | None]]:
        return [(s.node, s.outcome) for s in self.state.path]


# --- node by node: (nodes, inputs at offsets, final command, path outcomes) -----------

COMPLETED = Finish(status="completed")
W_HOUR = Wait(until=T0 + HOUR, event="order.completed")
PRO = "profile.attributes.plan == 'pro'"
Script = list[tuple[Input, timedelta]]

SCRIPTS: list[tuple[str, dict[str, Any], Script, Command, list[tuple[str, str | None]]]] = [
    ("end", {"done": END}, [], COMPLETED, [("done", "completed")]),
    (
        "message pending",
        {"m": msg("done"), "done": END},
        [],
        SendMessage(node="m", channel="email", template="t", visit=1),
        [("m", None)],
    ),
    (
        "message sent",
        {"m": msg("done"), "done": END},
        [(sent("m", "id1"), MIN)],
        COMPLETED,
        [("m", "sent id1"), ("done", "completed")],
    ),
    (
        "message failed moves on",
        {"m": msg("done"), "done": END},
        [(sent("m", "id1", "failed"), MIN)],
        COMPLETED,
        [("m", "failed id1"), ("done", "completed")],
    ),
    (
        "wait pending",
        {"w": wait("done", "P1D"), "done": END},
        [],
        Wait(until=T0 + DAY),
        [("w", None)],
    ),
    (
        "wait elapsed",
        {"w": wait("done", "P1D"), "done": END},
        [(FIRED, DAY)],
        COMPLETED,
        [("w", "elapsed"), ("done", "completed")],
    ),
    (
        "wait one calendar month",
        {"w": wait("done", "P1M"), "done": END},
        [],
        Wait(until=datetime(2024, 2, 29, 12, 0, tzinfo=UTC)),
        [("w", None)],
    ),
    (
        "wait until expression",
        {"w": wait("done", until="event.properties.deliver_at"), "done": END},
        [],
        Wait(until=T0 + 2 * DAY),
        [("w", None)],
    ),
    (
        "wait until in the past passes through",
        {"w": wait("done", until="event.timestamp - hours(1)"), "done": END},
        [],
        COMPLETED,
        [("w", "passed"), ("done", "completed")],
    ),
    (
        "wait until not a datetime",
        {"w": wait("done", until="event.properties.total"), "done": END},
        [],
        Finish(
            status="errored",
            reason="nodes.w.until: expected a datetime or ISO 8601 string, got int",
        ),
        [("w", "errored")],
    ),
    (
        "wait until expression fails",
        {"w": wait("done", until="event.properties.nope"), "done": END},
        [],
        Finish(status="errored", reason="nodes.w.until: 'dict object' has no attribute 'nope'"),
        [("w", "errored")],
    ),
    (
        "condition first branch",
        {"c": cond([("event.properties.total > 100", "big")], "small"), "big": END, "small": END},
        [],
        COMPLETED,
        [("c", "branch 0"), ("big", "completed")],
    ),
    (
        "condition second branch",
        {
            "c": cond([("event.properties.total > 1000", "a"), ("true", "b")], "a"),
            "a": END,
            "b": END,
        },
        [],
        COMPLETED,
        [("c", "branch 1"), ("b", "completed")],
    ),
    (
        "condition otherwise",
        {"c": cond([("event.properties.total > 1000", "big")], "small"), "big": END, "small": END},
        [],
        COMPLETED,
        [("c", "otherwise"), ("small", "completed")],
    ),
    (
        "condition error",
        {"c": cond([("event.properties.nope > 1", "a")], "a"), "a": END},
        [],
        Finish(
            status="errored",
            reason="nodes.c.branches[0].when: 'dict object' has no attribute 'nope'",
        ),
        [("c", "errored")],
    ),
    (
        "wait_for_event pending",
        {"w": wfe("yes", "no"), "yes": END, "no": END},
        [],
        W_HOUR,
        [("w", None)],
    ),
    (
        "wait_for_event receives",
        {"w": wfe("yes", "no"), "yes": END, "no": END},
        [(got("order.completed", "e1"), 10 * MIN)],
        COMPLETED,
        [("w", "event order.completed"), ("yes", "completed")],
    ),
    (
        "wait_for_event ignores other events",
        {"w": wfe("yes", "no"), "yes": END, "no": END},
        [(got("page.viewed", "e1"), 10 * MIN)],
        W_HOUR,
        [("w", None)],
    ),
    (
        "wait_for_event when filters",
        {"w": wfe("yes", "no", when="received.properties.total > 50"), "yes": END, "no": END},
        [(got("order.completed", "e1", total=10), 5 * MIN)],
        W_HOUR,
        [("w", None)],
    ),
    (
        "wait_for_event when passes",
        {"w": wfe("yes", "no", when="received.properties.total > 50"), "yes": END, "no": END},
        [
            (got("order.completed", "e1", total=10), 5 * MIN),
            (got("order.completed", "e2", total=80), 6 * MIN),
        ],
        COMPLETED,
        [("w", "event order.completed"), ("yes", "completed")],
    ),
    (
        "wait_for_event when error",
        {"w": wfe("yes", "no", when="received.properties.total > 50"), "yes": END, "no": END},
        [(got("order.completed", "e1"), 5 * MIN)],
        Finish(status="errored", reason="nodes.w.when: 'dict object' has no attribute 'total'"),
        [("w", "errored")],
    ),
    (
        "wait_for_event times out",
        {"w": wfe("yes", "no"), "yes": END, "no": END},
        [(FIRED, HOUR)],
        COMPLETED,
        [("w", "timeout"), ("no", "completed")],
    ),
    (
        "early timer counts as reached",
        {
            "w": wfe("yes", "no"),
            "yes": wait("done", "PT1H"),
            "no": wait("done", "PT1H"),
            "done": END,
        },
        [(FIRED, 30 * MIN)],
        Wait(until=T0 + 2 * HOUR),
        [("w", "timeout"), ("no", None)],
    ),
    (
        "duplicate event ids are ignored",
        {"w": wfe("yes", "no", when="received.properties.total > 50"), "yes": END, "no": END},
        [
            (got("order.completed", "e1", total=10), 5 * MIN),
            (got("order.completed", "e1", total=80), 6 * MIN),
            (got("unsubscribed", "e0"), 7 * MIN),
        ],
        W_HOUR,
        [("w", None)],
    ),
    (
        "events of another profile are ignored",
        {"w": wfe("yes", "no"), "yes": END, "no": END},
        [(got("order.completed", "e1", profile_id="p2"), 5 * MIN)],
        W_HOUR,
        [("w", None)],
    ),
    (
        "exit during a wait",
        {"w": wait("done", "P1D"), "done": END},
        [(got("unsubscribed", "e1"), HOUR)],
        Finish(status="exited", reason="exit_on event unsubscribed"),
        [("w", "exit_on event unsubscribed")],
    ),
    (
        "exit during a pending send",
        {"m": msg("done"), "done": END},
        [(got("unsubscribed", "e1"), 0 * MIN)],
        Finish(status="exited", reason="exit_on event unsubscribed"),
        [("m", "exit_on event unsubscribed")],
    ),
    (
        "other event during a pending send",
        {"m": msg("done"), "done": END},
        [(got("page.viewed", "e1"), 0 * MIN)],
        SendMessage(node="m", channel="email", template="t", visit=1),
        [("m", None)],
    ),
    (
        "journey timeout ends a wait",
        {"w": wait("done", "P1D"), "done": END},
        [(FIRED, DAY)],
        Finish(status="timed_out", reason="journey timeout reached"),
        [("w", "timed out")],
    ),
    (
        "journey timeout ends a wait_for_event",
        {"w": wfe("yes", "no", timeout="PT1H"), "yes": END, "no": END},
        [(FIRED, HOUR)],
        Finish(status="timed_out", reason="journey timeout reached"),
        [("w", "timed out")],
    ),
    (
        "profile reloaded after a wait",
        {"w": wait("c", "P1D"), "c": cond([(PRO, "pro")], "free"), "pro": END, "free": END},
        [(FIRED, DAY)],
        LoadProfile(),
        [("w", "elapsed"), ("c", None)],
    ),
    (
        "condition on the reloaded profile",
        {"w": wait("c", "P1D"), "c": cond([(PRO, "pro")], "free"), "pro": END, "free": END},
        [(FIRED, DAY), (loaded(plan="pro"), DAY)],
        COMPLETED,
        [("w", "elapsed"), ("c", "branch 0"), ("pro", "completed")],
    ),
    (
        "no reload when the condition ignores the profile",
        {
            "w": wait("c", "P1D"),
            "c": cond([("now > event.timestamp", "a")], "b"),
            "a": END,
            "b": END,
        },
        [(FIRED, DAY)],
        COMPLETED,
        [("w", "elapsed"), ("c", "branch 0"), ("a", "completed")],
    ),
    (
        "no reload before the first wait",
        {"c": cond([(PRO, "pro")], "free"), "pro": END, "free": END},
        [],
        COMPLETED,
        [("c", "otherwise"), ("free", "completed")],
    ),
    (
        "wait_for_event when on the profile reloads it",
        {"w": wfe("yes", "no", when=PRO), "yes": END, "no": END},
        [(got("order.completed", "e1"), 5 * MIN), (loaded(plan="pro"), 5 * MIN)],
        COMPLETED,
        [("w", "event order.completed"), ("yes", "completed")],
    ),
    (
        "wait_for_event back to waiting after a reload",
        {"w": wfe("yes", "no", when=PRO), "yes": END, "no": END},
        [(got("order.completed", "e1"), 5 * MIN), (loaded(plan="free"), 5 * MIN)],
        W_HOUR,
        [("w", None)],
    ),
    (
        "exit while the profile loads",
        {"w": wait("c", "P1D"), "c": cond([(PRO, "pro")], "free"), "pro": END, "free": END},
        [(FIRED, DAY), (got("unsubscribed", "e1"), DAY)],
        Finish(status="exited", reason="exit_on event unsubscribed"),
        [("w", "elapsed"), ("c", "exit_on event unsubscribed")],
    ),
    (
        "other event while the profile loads",
        {"w": wait("c", "P1D"), "c": cond([(PRO, "pro")], "free"), "pro": END, "free": END},
        [(FIRED, DAY), (got("page.viewed", "e1"), DAY)],
        LoadProfile(),
        [("w", "elapsed"), ("c", None)],
    ),
    (
        "result for another node is ignored",
        {"m": msg("done"), "done": END},
        [(sent("other", "id1"), MIN)],
        SendMessage(node="m", channel="email", template="t", visit=1),
        [("m", None)],
    ),
    (
        "timer without a wait is ignored",
        {"m": msg("done"), "done": END},
        [(FIRED, MIN)],
        SendMessage(node="m", channel="email", template="t", visit=1),
        [("m", None)],
    ),
    (
        "profile of another id is ignored",
        {"w": wait("c", "P1D"), "c": cond([(PRO, "pro")], "free"), "pro": END, "free": END},
        [(FIRED, DAY), (loaded("p2", plan="pro"), DAY)],
        LoadProfile(),
        [("w", "elapsed"), ("c", None)],
    ),
    (
        "second start is ignored",
        {"w": wait("done", "P1D"), "done": END},
        [(Start(entry_event=ENTRY, profile=PROFILE, journey_id="test", version=2), HOUR)],
        Wait(until=T0 + DAY),
        [("w", None)],
    ),
    (
        "inputs after the end are ignored",
        {"done": END},
        [(FIRED, DAY), (got("unsubscribed", "e1"), DAY), (sent("done", "x"), DAY)],
        COMPLETED,
        [("done", "completed")],
    ),
]


TIMEOUTS = {"journey timeout ends a wait": "P1D", "journey timeout ends a wait_for_event": "PT1H"}


@pytest.mark.parametrize(
    ("name", "nodes", "script", "command", "outcomes"), SCRIPTS, ids=[s[0] for s in SCRIPTS]
)
def test_scripts(
    name: str,
    nodes: dict[str, Any],
    script: Script,
    command: Command,
    outcomes: list[tuple[str, str | None]],
) -> None:
    run = Run(definition(nodes, timeout=TIMEOUTS.get(name, "P60D")))
    for inp, at in script:
        run.feed(inp, at)
    assert run.command == command
    assert run.outcomes() == outcomes


# --- the rest --------------------------------------------------------------------------


def test_a_journey_starts_with_start() -> None:
    with pytest.raises(InterpreterError):
        step(definition({"done": END}), None, FIRED, T0, 0)


def test_start_records_the_entry() -> None:
    run = Run(definition({"w": wait("done", "P1D"), "done": END}, timeout="P1M"))
    state = run.state
    assert (state.journey_id, state.version, state.profile_id) == ("test", 1, "p1")
    assert state.entered_at == T0
    assert state.deadline == datetime(2024, 2, 29, 12, 0, tzinfo=UTC)  # calendar month
    assert state.events == {"cart.updated": ENTRY}
    assert state.seen_event_ids == ["e0"]
    assert state.status == "active" and state.node == "w" and state.visits == {"w": 1}


def test_visits_count_loops() -> None:
    run = Run(definition({"m": msg("w"), "w": wait("m", "PT1H")}))
    for visit in range(1, 4):
        assert run.command == SendMessage(node="m", channel="email", template="t", visit=visit)
        run.feed(sent("m", f"id{visit}"), visit * HOUR)
        run.feed(FIRED, (visit + 1) * HOUR)
    assert run.state.visits == {"m": 4, "w": 3}


def test_a_loop_without_wait_is_stopped() -> None:
    nodes = {"c": cond([("true", "d")], "d"), "d": cond([("true", "c")], "c")}
    run = Run(definition(nodes, validate=False))
    assert isinstance(run.command, Finish) and run.command.status == "errored"
    assert f"more than {MAX_TRANSITIONS} nodes" in (run.command.reason or "")


def test_an_unknown_node_ends_errored() -> None:
    run = Run(definition({"m": msg("nowhere")}, validate=False))
    run.feed(sent("m", "id1"), MIN)
    assert run.command == Finish(status="errored", reason="unknown node 'nowhere'")


def test_state_stays_bounded() -> None:
    defn = definition({"m": msg("w"), "w": wait("m", "PT1M")}, timeout="P1D")
    start = Start(entry_event=ENTRY, profile=PROFILE, journey_id="test", version=1)
    result = step(defn, None, start, T0, 7)
    for i in range(300):
        for inp, at in [
            (got(f"event.{i % 60}", f"x{i}"), i),
            (sent("m", f"id{i}"), i),
            (FIRED, i + 1),
        ]:
            result = step(defn, result.state, inp, T0 + at * MIN, 7)
    state = result.state
    assert len(state.path) == PATH_LIMIT and state.path_dropped == 2 * 300 + 1 - PATH_LIMIT
    assert len(state.seen_event_ids) == SEEN_EVENTS_LIMIT and state.seen_event_ids[-1] == "x299"
    assert len(state.events) == 50 and "event.59" in state.events
    assert result.command == SendMessage(node="m", channel="email", template="t", visit=301)


def test_awaited_event_wins_over_exit_on() -> None:
    """The node that explicitly waits for an exit event handles it; elsewhere it exits."""
    nodes = {"w": wfe("yes", "no"), "yes": END, "no": wait("done", "P1D"), "done": END}
    run = Run(definition(nodes, exit_on=["order.completed"]))
    run.feed(got("order.completed", "e1"), MIN)
    assert run.command == COMPLETED
    run = Run(definition(nodes, exit_on=["order.completed"]))
    run.feed(FIRED, HOUR)
    run.feed(got("order.completed", "e1"), 2 * HOUR)
    assert run.command == Finish(status="exited", reason="exit_on event order.completed")


def test_failed_awaited_event_in_exit_on_exits() -> None:
    nodes = {"w": wfe("yes", "no", when="received.properties.total > 50"), "yes": END, "no": END}
    run = Run(definition(nodes, exit_on=["order.completed"]))
    run.feed(got("order.completed", "e1", total=10), MIN)
    assert run.command == Finish(status="exited", reason="exit_on event order.completed")


def test_events_are_remembered_for_expressions() -> None:
    nodes = {
        "w": wait("c", "PT1H"),
        "c": cond([("events['promo.clicked'].properties.code == 'X'", "a")], "b"),
        "a": END,
        "b": END,
    }
    run = Run(definition(nodes))
    run.feed(got("promo.clicked", "e1", code="X"), MIN)
    assert run.command == Wait(until=T0 + HOUR)
    run.feed(FIRED, HOUR)
    assert run.outcomes()[-1] == ("a", "completed")


def test_the_state_survives_continue_as_new() -> None:
    defn = definition({"w": wfe("yes", "no"), "yes": END, "no": END})
    run = Run(defn)
    carried = JourneyState.model_validate_json(run.state.model_dump_json())
    assert current_command(defn, carried) == run.command
    result = step(defn, carried, got("order.completed", "e1"), T0 + MIN, 7)
    assert result.command == COMPLETED


# --- the reference abandoned-cart journey, walked through ----------------------------------


@pytest.fixture
def cart(cart_data: dict[str, Any]) -> JourneyDefinition:
    return JourneyDefinition.model_validate(cart_data)


def test_cart_order_within_the_hour(cart: JourneyDefinition) -> None:
    run = Run(cart)
    assert run.command == Wait(until=T0 + HOUR, event="order.completed")
    run.feed(got("order.completed", "o1"), 20 * MIN)
    assert run.command == COMPLETED
    assert run.outcomes() == [("wait_order", "event order.completed"), ("done", "completed")]


def test_cart_reminder_then_sms_coupon(cart: JourneyDefinition) -> None:
    run = Run(cart)
    assert run.feed(FIRED, HOUR) == SendMessage(
        node="remind", channel="email", template="cart-reminder", visit=1
    )
    assert run.feed(got("page.viewed", "v1"), HOUR) == SendMessage(
        node="remind", channel="email", template="cart-reminder", visit=1
    )
    assert run.feed(sent("remind", "m1"), HOUR) == Wait(until=T0 + HOUR + DAY)
    assert run.feed(FIRED, HOUR + DAY) == SendMessage(
        node="sms_coupon", channel="sms", template="coupon-sms", visit=1
    )
    assert run.feed(sent("sms_coupon", "m2"), HOUR + DAY) == COMPLETED
    assert run.outcomes() == [
        ("wait_order", "timeout"),
        ("remind", "sent m1"),
        ("wait_day", "elapsed"),
        ("big_cart", "branch 0"),
        ("sms_coupon", "sent m2"),
        ("done", "completed"),
    ]


def test_cart_small_total_skips_the_coupon(cart: JourneyDefinition) -> None:
    run = Run(cart, entry=ev("cart.updated", "e0", total=40))
    run.feed(FIRED, HOUR)
    run.feed(sent("remind", "m1"), HOUR)
    assert run.feed(FIRED, HOUR + DAY) == COMPLETED
    assert run.outcomes()[-2:] == [("big_cart", "otherwise"), ("done", "completed")]


def test_cart_order_during_the_day_exits(cart: JourneyDefinition) -> None:
    run = Run(cart)
    run.feed(FIRED, HOUR)
    run.feed(sent("remind", "m1"), HOUR)
    assert run.feed(got("order.completed", "o1"), 5 * HOUR) == Finish(
        status="exited", reason="exit_on event order.completed"
    )
    assert run.outcomes()[-1] == ("wait_day", "exit_on event order.completed")
