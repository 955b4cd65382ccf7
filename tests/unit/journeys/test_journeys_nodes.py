"""The interpreter on the newer nodes and options: split, experiment, action, fetch,
update_profile, jump, condition refresh, fixed and weekday waits, quiet hours, reactions.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import TypeAdapter

from journeys.interpreter import (
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
    ProfileLoaded,
    ProfileUpdated,
    RecordAssignment,
    SendMessage,
    SendTimeChosen,
    Start,
    StepResult,
    TimerFired,
    UpdateProfile,
    Wait,
    current_command,
    step,
)
from journeys.model import Event, JourneyDefinition, Profile
from journeys.nodes.buckets import bucket
from journeys.runtime import RESPONSE_LIMIT
from journeys.validate import parse_definition

T0 = datetime(2024, 1, 31, 12, 0, tzinfo=UTC)  # a Wednesday
MIN, HOUR, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)
PROFILE = Profile(profile_id="p1", email="ada@example.com", attributes={"plan": "free"})
END = {"type": "end"}
FIRED = TimerFired()
COMPLETED = Finish(status="completed")


def ev(name: str, event_id: str, profile_id: str = "p1", **props: Any) -> Event:
    return Event(
        event_id=event_id, name=name, profile_id=profile_id, timestamp=T0, properties=props
    )


ENTRY = ev("cart.updated", "e0", total=150)


def definition(nodes: dict[str, Any], **top: Any) -> JourneyDefinition:
    data = {
        "id": "test",
        "name": "Test",
        "entry": {"event": "cart.updated"},
        "exit_on": ["unsubscribed"],
        "timeout": "P60D",
        "start": next(iter(nodes)),
        "nodes": nodes,
        **top,
    }
    parsed, problems = parse_definition(data)
    assert parsed is not None, problems
    return parsed


class Run:
    """Drives `step` and checks, at every step, what must always hold."""

    def __init__(
        self,
        defn: JourneyDefinition,
        profile: Profile = PROFILE,
        seed: int = 7,
        at: timedelta = timedelta(0),
    ) -> None:
        self.defn, self.seed = defn, seed
        start = Start(entry_event=ENTRY, profile=profile, journey_id="test", version=1)
        self.result = self._check(step(defn, None, start, T0 + at, seed))

    def feed(self, inp: Input, at: timedelta) -> Command:
        before = self.result.state.model_dump()
        result = step(self.defn, self.result.state, inp, T0 + at, self.seed)
        assert self.result.state.model_dump() == before, "step mutated its input state"
        self.result = self._check(result)
        return result.command

    def _check(self, result: StepResult) -> StepResult:
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


def msg(next_: str, **extra: Any) -> dict[str, Any]:
    return {"type": "message", "channel": "email", "template": "t", "next": next_, **extra}


def split(*paths: tuple[str, int, str], sticky: bool = True) -> dict[str, Any]:
    rows = [{"name": name, "weight": weight, "next": target} for name, weight, target in paths]
    return {"type": "split", "paths": rows, "sticky": sticky}


def experiment(*variants: tuple[str, int, str], holdout: tuple[int, str] | None = None) -> dict:
    node: dict[str, Any] = {
        "type": "experiment",
        "variants": [{"name": n, "weight": w, "next": t} for n, w, t in variants],
    }
    if holdout is not None:
        node["holdout"] = {"weight": holdout[0], "next": holdout[1]}
    return node


def action(params: dict[str, Any], on_error: str | None = "failed") -> dict[str, Any]:
    node = {"type": "action", "action": "crm", "params": params, "next": "done"}
    return node | ({"on_error": on_error} if on_error else {})


def got(name: str, event_id: str, **props: Any) -> EventReceived:
    return EventReceived(event=ev(name, event_id, **props))


def loaded(**attributes: Any) -> ProfileLoaded:
    return ProfileLoaded(profile=Profile(profile_id="p1", attributes=attributes))


def spec_index(key: str, weights: list[int]) -> int:
    """The assignment as the design states it, computed independently of `bucket`."""
    point = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") % 100
    for index, weight in enumerate(weights):
        if point < weight:
            return index
        point -= weight
    raise AssertionError("weights do not add up to 100")


# --- table: (name, nodes, inputs at offsets, final command, path outcomes) -------------

Script = list[tuple[Input, timedelta]]
OK = ActionDone(node="a", ok=True, response={"id": 42})
SENT_X = MessageSent(node="m", message_id="x", status="sent")
CHOSEN_5PM = SendTimeChosen(node="m", send_at=datetime(2024, 1, 31, 17, 0, tzinfo=UTC))
SCRIPTS: list[tuple[str, dict[str, Any], Script, Command, list[tuple[str, str | None]]]] = [
    (
        "split all on one path",
        {"s": split(("a", 0, "x"), ("b", 100, "y")), "x": END, "y": END},
        [],
        COMPLETED,
        [("s", "path b"), ("y", "completed")],
    ),
    (
        "experiment records the assignment",
        {"x": experiment(("only", 100, "done")), "done": END},
        [],
        RecordAssignment(node="x", experiment="x", variant="only", visit=1),
        [("x", None)],
    ),
    (
        "experiment goes on once recorded",
        {"x": experiment(("only", 100, "done")), "done": END},
        [(AssignmentRecorded(node="x"), MIN)],
        COMPLETED,
        [("x", "variant only"), ("done", "completed")],
    ),
    (
        "experiment holdout",
        {"x": experiment(("a", 0, "done"), holdout=(100, "control")), "control": END, "done": END},
        [(AssignmentRecorded(node="x"), MIN)],
        COMPLETED,
        [("x", "variant holdout"), ("control", "completed")],
    ),
    (
        "assignment for another node is ignored",
        {"x": experiment(("only", 100, "done")), "done": END},
        [(AssignmentRecorded(node="y"), MIN)],
        RecordAssignment(node="x", experiment="x", variant="only", visit=1),
        [("x", None)],
    ),
    (
        "action params are rendered",
        {
            "a": action({"to": "{{ profile.email }}", "n": 3, "tags": ["x"]}),
            "done": END,
            "failed": END,
        },
        [],
        CallAction(
            node="a", action="crm", params={"to": "ada@example.com", "n": 3, "tags": ["x"]}, visit=1
        ),
        [("a", None)],
    ),
    (
        "action ok",
        {"a": action({}), "done": END, "failed": END},
        [(OK, MIN)],
        COMPLETED,
        [("a", "ok"), ("done", "completed")],
    ),
    (
        "action error goes to on_error",
        {"a": action({}), "done": END, "failed": END},
        [(ActionDone(node="a", ok=False, error="HTTP 500"), MIN)],
        COMPLETED,
        [("a", "error: HTTP 500"), ("failed", "completed")],
    ),
    (
        "action error without on_error ends errored",
        {"a": action({}, on_error=None), "done": END},
        [(ActionDone(node="a", ok=False, error="HTTP 500"), MIN)],
        Finish(status="errored", reason="nodes.a: HTTP 500"),
        [("a", "errored")],
    ),
    (
        "action param that fails to render",
        {"a": action({"x": "{{ event.properties.nope }}"}), "done": END, "failed": END},
        [],
        Finish(status="errored", reason="nodes.a.params.x: 'dict object' has no attribute 'nope'"),
        [("a", "errored")],
    ),
    (
        "a param whose name is no plain segment is named as the validator names it",
        {"a": action({"a b": "{{ event.properties.nope }}"}), "done": END, "failed": END},
        [],
        Finish(
            status="errored",
            reason="nodes.a.params[\"a b\"]: 'dict object' has no attribute 'nope'",
        ),
        [("a", "errored")],
    ),
    (
        "action result for another node is ignored",
        {"a": action({}), "done": END, "failed": END},
        [(ActionDone(node="b", ok=True), MIN), (FIRED, MIN)],
        CallAction(node="a", action="crm", params={}, visit=1),
        [("a", None)],
    ),
    (
        "exit during a pending action",
        {"a": action({}), "done": END, "failed": END},
        [(got("unsubscribed", "e1"), MIN)],
        Finish(status="exited", reason="exit_on event unsubscribed"),
        [("a", "exit_on event unsubscribed")],
    ),
    (
        "fetch",
        {
            "f": {
                "type": "fetch",
                "source": "orders",
                "params": {"id": "{{ event.properties.total }}"},
                "next": "done",
            },
            "done": END,
        },
        [],
        FetchData(node="f", source="orders", params={"id": "150"}, visit=1),
        [("f", None)],
    ),
    (
        "fetch done",
        {"f": {"type": "fetch", "source": "orders", "next": "done"}, "done": END},
        [(ActionDone(node="f", ok=True, response={"n": 1}), MIN)],
        COMPLETED,
        [("f", "ok"), ("done", "completed")],
    ),
    (
        "update_profile evaluates its values",
        {
            "u": {
                "type": "update_profile",
                "set": {
                    "tier": "'gold'",
                    "seen": "event.timestamp",
                    "total": "event.properties.total",
                },
                "increment": {"nudges": 1},
                "next": "done",
            },
            "done": END,
        },
        [],
        UpdateProfile(
            node="u",
            set={"tier": "gold", "seen": "2024-01-31T12:00:00+00:00", "total": 150},
            increment={"nudges": 1},
            visit=1,
        ),
        [("u", None)],
    ),
    (
        "update_profile increment not a number",
        {"u": {"type": "update_profile", "increment": {"n": "'one'"}, "next": "done"}, "done": END},
        [],
        Finish(status="errored", reason="nodes.u.increment.n: expected a number, got str"),
        [("u", "errored")],
    ),
    (
        "update_profile value that a profile cannot store",
        {
            "u": {"type": "update_profile", "set": {"d": "duration('P1D')"}, "next": "done"},
            "done": END,
        },
        [],
        Finish(
            status="errored", reason="nodes.u.set.d: a timedelta is not a value a profile can store"
        ),
        [("u", "errored")],
    ),
    (
        "jump pending",
        {"j": {"type": "jump", "journey": "other", "next": "done"}, "done": END},
        [],
        JumpToJourney(node="j", journey="other", visit=1),
        [("j", None)],
    ),
    (
        "jump then go on",
        {"j": {"type": "jump", "journey": "other", "next": "done"}, "done": END},
        [(Jumped(node="j", ok=True), MIN)],
        COMPLETED,
        [("j", "jumped to other"), ("done", "completed")],
    ),
    (
        "failed jump goes on",
        {"j": {"type": "jump", "journey": "other", "next": "done"}, "done": END},
        [(Jumped(node="j", ok=False, error="already inside"), MIN)],
        COMPLETED,
        [("j", "jump to other failed: already inside"), ("done", "completed")],
    ),
    (
        "jump and end",
        {"j": {"type": "jump", "journey": "other", "end": True}},
        [(Jumped(node="j", ok=True), MIN)],
        Finish(status="completed", reason="jumped to other"),
        [("j", "jumped to other")],
    ),
    (
        "condition refresh loads the profile first",
        {
            "c": {
                "type": "condition",
                "refresh": True,
                "branches": [{"when": "true", "next": "a"}],
                "otherwise": "a",
            },
            "a": END,
        },
        [],
        LoadProfile(),
        [("c", None)],
    ),
    (
        "condition refresh evaluates the loaded profile",
        {
            "c": {
                "type": "condition",
                "refresh": True,
                "otherwise": "free",
                "branches": [{"when": "profile.attributes.plan == 'pro'", "next": "pro"}],
            },
            "pro": END,
            "free": END,
        },
        [(loaded(plan="pro"), MIN)],
        COMPLETED,
        [("c", "branch 0"), ("pro", "completed")],
    ),
    (
        "wait until a fixed time",
        {
            "w": {"type": "wait", "until_time": "2024-02-02T09:00:00+01:00", "next": "done"},
            "done": END,
        },
        [],
        Wait(until=datetime(2024, 2, 2, 8, 0, tzinfo=UTC)),
        [("w", None)],
    ),
    (
        "fixed time in the past passes",
        {"w": {"type": "wait", "until_time": "2020-01-01T00:00:00Z", "next": "done"}, "done": END},
        [],
        COMPLETED,
        [("w", "passed"), ("done", "completed")],
    ),
    (
        "fixed time after the deadline",
        {"w": {"type": "wait", "until_time": "2025-01-01T00:00:00Z", "next": "done"}, "done": END},
        [(FIRED, 60 * DAY)],
        Finish(status="timed_out", reason="journey timeout reached"),
        [("w", "timed out")],
    ),
    (
        "next monday 09:00 UTC",
        {
            "w": {
                "type": "wait",
                "next_weekday": {"days": ["mon"], "time": "09:00", "timezone": "UTC"},
                "next": "done",
            },
            "done": END,
        },
        [],
        Wait(until=datetime(2024, 2, 5, 9, 0, tzinfo=UTC)),
        [("w", None)],
    ),
    (
        "next weekday is strictly after now",
        {"w": {"type": "wait", "next_weekday": {"time": "12:00"}, "next": "done"}, "done": END},
        [],
        Wait(until=datetime(2024, 2, 1, 12, 0, tzinfo=UTC)),
        [("w", None)],
    ),
    (
        "next weekday in a named timezone",
        {
            "w": {
                "type": "wait",
                "next_weekday": {"days": ["wed"], "time": "14:00", "timezone": "Europe/Paris"},
                "next": "done",
            },
            "done": END,
        },
        [(FIRED, HOUR)],
        COMPLETED,
        [("w", "elapsed"), ("done", "completed")],
    ),
    (
        "quiet hours defer the send",
        {"m": msg("done", quiet_hours={"start": "11:00", "end": "13:30"}), "done": END},
        [],
        Wait(until=datetime(2024, 1, 31, 13, 30, tzinfo=UTC)),
        [("m", "deferred by quiet hours")],
    ),
    (
        "quiet hours over: the send is pending",
        {"m": msg("done", quiet_hours={"start": "11:00", "end": "13:30"}), "done": END},
        [(FIRED, 90 * MIN)],
        SendMessage(node="m", channel="email", template="t", visit=1),
        [("m", "deferred by quiet hours"), ("m", None)],
    ),
    (
        "deferred then sent",
        {"m": msg("done", quiet_hours={"start": "11:00", "end": "13:30"}), "done": END},
        [(SENT_X, MIN), (FIRED, 90 * MIN), (SENT_X, 91 * MIN)],
        COMPLETED,
        [("m", "deferred by quiet hours"), ("m", "sent x"), ("done", "completed")],
    ),
    (
        "outside quiet hours the send is immediate",
        {"m": msg("done", quiet_hours={"start": "21:00", "end": "08:00"}), "done": END},
        [],
        SendMessage(node="m", channel="email", template="t", visit=1),
        [("m", None)],
    ),
    (
        "quiet hours wrapping midnight in a named timezone",
        {
            "m": msg(
                "done", quiet_hours={"start": "12:30", "end": "08:00", "timezone": "Europe/Paris"}
            ),
            "done": END,
        },
        [],
        Wait(until=datetime(2024, 2, 1, 7, 0, tzinfo=UTC)),
        [("m", "deferred by quiet hours")],
    ),
    (
        "exit during quiet hours",
        {"m": msg("done", quiet_hours={"start": "11:00", "end": "13:30"}), "done": END},
        [(got("unsubscribed", "e1"), MIN)],
        Finish(status="exited", reason="exit_on event unsubscribed"),
        [("m", "deferred by quiet hours")],
    ),
    (
        "send time: the engagement model is asked first",
        {"m": msg("done", send_time={"optimize": "opened", "within": "PT12H"}), "done": END},
        [],
        ChooseSendTime(node="m", goal="opened", within_seconds=43_200.0),
        [("m", None)],
    ),
    (
        "send time: the send waits for the chosen hour",
        {"m": msg("done", send_time={"optimize": "opened"}), "done": END},
        [(CHOSEN_5PM, MIN)],
        Wait(until=datetime(2024, 1, 31, 17, 0, tzinfo=UTC)),
        [("m", "deferred to the best send time")],
    ),
    (
        "send time: at the chosen hour the optimised send is pending",
        {"m": msg("done", send_time={"optimize": "opened"}), "done": END},
        [(CHOSEN_5PM, MIN), (FIRED, 5 * HOUR)],
        SendMessage(node="m", channel="email", template="t", visit=1, send_time="optimised"),
        [("m", "deferred to the best send time"), ("m", None)],
    ),
    (
        "send time: a time chosen now sends at once",
        {"m": msg("done", send_time={"optimize": "clicked"}), "done": END},
        [(SendTimeChosen(node="m", send_at=T0), MIN)],
        SendMessage(node="m", channel="email", template="t", visit=1, send_time="optimised"),
        [("m", None)],
    ),
    (
        "send time: the quiet hours are judged at the chosen time",
        {
            "m": msg(
                "done",
                send_time={"optimize": "opened"},
                quiet_hours={"start": "16:00", "end": "19:00"},
            ),
            "done": END,
        },
        [(CHOSEN_5PM, MIN), (FIRED, 5 * HOUR)],
        Wait(until=datetime(2024, 1, 31, 19, 0, tzinfo=UTC)),
        [("m", "deferred to the best send time"), ("m", "deferred by quiet hours")],
    ),
    (
        "send time: sent, then on to the next node",
        {"m": msg("done", send_time={"optimize": "opened"}), "done": END},
        [(CHOSEN_5PM, MIN), (FIRED, 5 * HOUR), (SENT_X, 5 * HOUR + MIN)],
        COMPLETED,
        [("m", "deferred to the best send time"), ("m", "sent x"), ("done", "completed")],
    ),
    (
        "send time: a held-out profile is sent at once and marked so",
        {"m": msg("done", send_time={"optimize": "opened", "holdout": 0.5}), "done": END},
        [],
        SendMessage(node="m", channel="email", template="t", visit=1, send_time="holdout"),
        [("m", None)],
    ),
]


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
    run = Run(definition(nodes))
    for inp, at in script:
        run.feed(inp, at)
    assert run.command == command
    assert run.outcomes() == outcomes


# --- split and experiment assignment ------------------------------------------------------

AB = {"s": split(("a", 50, "x"), ("b", 50, "y")), "x": END, "y": END}


def test_sticky_split_follows_the_specified_hash() -> None:
    for profile_id in ("p1", "p2", "p3", "p4", "p5", "p6"):
        run = Run(definition(AB), profile=Profile(profile_id=profile_id))
        expected = ["a", "b"][spec_index(f"test|{profile_id}|s", [50, 50])]
        assert run.outcomes()[0] == ("s", f"path {expected}")


def test_sticky_split_ignores_the_seed() -> None:
    paths = {Run(definition(AB), seed=seed).outcomes()[0] for seed in range(20)}
    assert len(paths) == 1


def test_non_sticky_split_uses_seed_and_visit() -> None:
    nodes = {"s": split(("a", 50, "x"), ("b", 50, "y"), sticky=False), "x": END, "y": END}
    seen = set()
    for seed in range(20):
        expected = ["a", "b"][spec_index(f"test|p1|s|{seed}|1", [50, 50])]
        run = Run(definition(nodes), seed=seed)
        assert run.outcomes()[0] == ("s", f"path {expected}")
        seen.add(expected)
    assert seen == {"a", "b"}


def test_non_sticky_split_is_drawn_again_on_every_visit() -> None:
    nodes = {
        "s": split(("a", 50, "x"), ("b", 50, "x"), sticky=False),
        "x": {"type": "wait", "duration": "PT1H", "next": "s"},
    }
    run = Run(definition(nodes), seed=3)
    for visit in range(2, 12):
        run.feed(FIRED, visit * HOUR)
    paths = [outcome for node, outcome in run.outcomes() if node == "s"]
    expected = [
        f"path {['a', 'b'][spec_index(f'test|p1|s|3|{visit}', [50, 50])]}" for visit in range(1, 12)
    ]
    assert paths == expected and len(set(paths)) == 2


def test_weights_hold_over_many_profiles() -> None:
    counts = [0, 0, 0]
    for i in range(3000):
        counts[bucket(f"test|p{i}|s", [20, 30, 50])] += 1
    assert [round(c / 3000, 1) for c in counts] == [0.2, 0.3, 0.5]
    assert bucket("anything", [0, 100]) == 1


def test_experiment_assignment_is_stable_per_profile() -> None:
    nodes = {
        "x": experiment(("a", 40, "w"), ("b", 40, "w"), holdout=(20, "w")),
        "w": {"type": "wait", "duration": "PT1H", "next": "x"},
    }
    defn = definition(nodes)
    for profile_id in ("p1", "p2", "p3", "p4"):
        expected = ["a", "b", "holdout"][spec_index(f"test|{profile_id}|x", [40, 40, 20])]
        for seed in (1, 2):
            run = Run(defn, profile=Profile(profile_id=profile_id), seed=seed)
            for visit in range(1, 4):
                command = run.command
                assert command == RecordAssignment(
                    node="x", experiment="x", variant=expected, visit=visit
                )
                run.feed(AssignmentRecorded(node="x"), visit * HOUR)
                run.feed(FIRED, (visit + 1) * HOUR)


# --- actions, fetches and profile updates ---------------------------------------------------


def test_action_response_lands_in_vars_for_later_nodes() -> None:
    nodes = {
        "a": action({}),
        "done": action({"id": "{{ vars.a.id }}", "raw": "{{ vars.a.tags | join(',') }}"}),
        "failed": END,
    }
    nodes["done"]["next"] = "end"
    nodes["end"] = END
    run = Run(definition(nodes))
    run.feed(ActionDone(node="a", ok=True, response={"id": 42, "tags": ["x", "y"]}), MIN)
    assert run.state.vars == {"a": {"id": 42, "tags": ["x", "y"]}}
    assert run.command == CallAction(
        node="done", action="crm", params={"id": "42", "raw": "x,y"}, visit=1
    )


def test_action_error_is_in_vars() -> None:
    nodes = {"a": action({}), "done": END, "failed": END}
    run = Run(definition(nodes))
    run.feed(ActionDone(node="a", ok=False, error=None), MIN)
    assert run.state.vars == {"a": {"error": "failed"}}


def test_action_response_too_large_is_an_error() -> None:
    run = Run(definition({"a": action({}), "done": END, "failed": END}))
    run.feed(ActionDone(node="a", ok=True, response={"x": "y" * RESPONSE_LIMIT}), MIN)
    assert run.outcomes()[-2:] == [
        ("a", f"error: response too large (limit {RESPONSE_LIMIT:,} characters as JSON)"),
        ("failed", "completed"),
    ]


def test_action_params_on_a_stale_profile_reload_it_first() -> None:
    nodes = {
        "w": {"type": "wait", "duration": "PT1H", "next": "a"},
        "a": action({"plan": "{{ profile.attributes.plan }}"}),
        "done": END,
        "failed": END,
    }
    run = Run(definition(nodes))
    assert run.feed(FIRED, HOUR) == LoadProfile()
    assert run.feed(ActionDone(node="a", ok=True), HOUR) == LoadProfile()  # not called yet
    assert run.feed(loaded(plan="pro"), HOUR) == CallAction(
        node="a", action="crm", params={"plan": "pro"}, visit=1
    )
    # a later spontaneous reload does not change the pending call
    assert run.feed(loaded(plan="free"), HOUR) == CallAction(
        node="a", action="crm", params={"plan": "pro"}, visit=1
    )


def test_profile_update_replaces_the_stale_profile() -> None:
    nodes = {
        "w": {"type": "wait", "duration": "PT1H", "next": "u"},
        "u": {"type": "update_profile", "set": {"plan": "'pro'"}, "next": "c"},
        "c": {
            "type": "condition",
            "branches": [{"when": "profile.attributes.plan == 'pro'", "next": "pro"}],
            "otherwise": "free",
        },
        "pro": END,
        "free": END,
    }
    run = Run(definition(nodes))
    assert run.feed(FIRED, HOUR) == UpdateProfile(node="u", set={"plan": "pro"}, visit=1)
    assert run.state.profile_stale
    other = Profile(profile_id="p2", attributes={"plan": "pro"})
    assert run.feed(ProfileUpdated(node="u", profile=other), HOUR) == UpdateProfile(
        node="u", set={"plan": "pro"}, visit=1
    )
    updated = Profile(profile_id="p1", attributes={"plan": "pro"})
    assert run.feed(ProfileUpdated(node="u", profile=updated), HOUR) == COMPLETED
    assert run.state.profile == updated
    assert run.outcomes()[1:] == [("u", "updated"), ("c", "branch 0"), ("pro", "completed")]


# --- reactions to messages -------------------------------------------------------------------

REACTION = {
    "m": msg("w"),
    "w": {
        "type": "wait_for_event",
        "reaction": {"to": "m", "kind": "clicked"},
        "timeout": "P1D",
        "on_event": "yes",
        "on_timeout": "no",
    },
    "yes": END,
    "no": END,
}


def test_reaction_waits_for_the_sent_message() -> None:
    run = Run(definition(REACTION))
    assert run.feed(MessageSent(node="m", message_id="mid-1", status="sent"), MIN) == Wait(
        until=T0 + MIN + DAY, event="message.clicked"
    )
    assert run.state.messages == {"m": "mid-1"}
    run.feed(got("message.clicked", "e1", message_id="other"), 2 * MIN)
    run.feed(got("message.opened", "e2", message_id="mid-1"), 3 * MIN)
    run.feed(got("message.clicked", "e3"), 4 * MIN)
    assert run.command == Wait(until=T0 + MIN + DAY, event="message.clicked")
    assert run.feed(got("message.clicked", "e4", message_id="mid-1"), 5 * MIN) == COMPLETED
    assert run.outcomes()[-2:] == [("w", "event message.clicked"), ("yes", "completed")]


def test_reaction_with_when() -> None:
    nodes = {**REACTION, "w": {**REACTION["w"], "when": "received.properties.url == 'a'"}}
    run = Run(definition(nodes))
    run.feed(MessageSent(node="m", message_id="mid-1", status="sent"), MIN)
    run.feed(got("message.clicked", "e1", message_id="mid-1", url="b"), 2 * MIN)
    assert isinstance(run.command, Wait)
    assert run.feed(got("message.clicked", "e2", message_id="mid-1", url="a"), 3 * MIN) == COMPLETED


def test_message_result_during_quiet_hours_is_ignored() -> None:
    nodes = {"m": msg("done", quiet_hours={"start": "11:00", "end": "13:30"}), "done": END}
    run = Run(definition(nodes))
    run.feed(MessageSent(node="m", message_id="x", status="sent"), MIN)
    assert run.state.messages == {}
    assert isinstance(run.command, Wait)


def test_quiet_hours_use_the_profile_timezone() -> None:
    nodes = {"m": msg("done", quiet_hours={"start": "21:00", "end": "08:00"}), "done": END}
    tokyo = Profile(profile_id="p1", timezone="Asia/Tokyo")  # 21:00 in Tokyo at T0
    assert Run(definition(nodes), profile=tokyo).command == Wait(
        until=datetime(2024, 1, 31, 23, 0, tzinfo=UTC)
    )
    broken = Profile(profile_id="p1", timezone="Nowhere/Land")  # falls back to UTC: 12:00
    assert isinstance(Run(definition(nodes), profile=broken).command, SendMessage)


def test_quiet_hours_are_bounded_by_the_deadline() -> None:
    nodes = {"m": msg("done", quiet_hours={"start": "11:00", "end": "13:30"}), "done": END}
    run = Run(definition(nodes, timeout="PT1H"))
    assert run.command == Wait(until=T0 + HOUR)
    assert run.feed(FIRED, HOUR) == Finish(status="timed_out", reason="journey timeout reached")


def test_next_weekday_uses_the_profile_timezone() -> None:
    nodes = {"w": {"type": "wait", "next_weekday": {"time": "09:00"}, "next": "done"}, "done": END}
    new_york = Profile(profile_id="p1", timezone="America/New_York")  # 07:00 there at T0
    assert Run(definition(nodes), profile=new_york).command == Wait(
        until=datetime(2024, 1, 31, 14, 0, tzinfo=UTC)
    )


def test_the_new_state_survives_continue_as_new() -> None:
    nodes = {"a": action({"x": "{{ event.properties.total }}"}), "done": END, "failed": END}
    defn = definition(nodes)
    run = Run(defn)
    carried = JourneyState.model_validate_json(run.state.model_dump_json())
    assert current_command(defn, carried) == run.command
    assert step(defn, carried, OK, T0 + MIN, 7).command == COMPLETED


@pytest.mark.parametrize(
    "item",
    [
        AssignmentRecorded(node="x"),
        ActionDone(node="a", ok=True, response={"id": 1}),
        ActionDone(node="a", ok=False, error="boom"),
        ProfileUpdated(node="u", profile=PROFILE),
        Jumped(node="j", ok=False, error="nope"),
        RecordAssignment(node="x", experiment="x", variant="holdout", visit=2),
        CallAction(node="a", action="crm", params={"n": 1}, visit=1),
        FetchData(node="f", source="orders", visit=1),
        UpdateProfile(node="u", set={"a": "b"}, increment={"n": 1.5}, visit=1),
        JumpToJourney(node="j", journey="other", visit=1),
        Decide(node="d", decision="spring", visit=1),
    ],
)
def test_inputs_and_commands_round_trip_through_their_unions(item: Input | Command) -> None:
    union = TypeAdapter(Input) if item.kind in INPUT_KINDS else TypeAdapter(Command)
    assert union.validate_json(item.model_dump_json()) == item


INPUT_KINDS = {"assignment_recorded", "action_done", "profile_updated", "jumped"}


DECIDE = {"type": "decide", "decision": "spring", "next": "done", "on_error": "failed"}
PROPOSED = {"proposition_id": "prop_1", "offers": [{"placement": "hero", "content": "A"}]}


def test_decide_asks_the_policy_and_keeps_the_proposition_in_vars() -> None:
    run = Run(definition({"d": DECIDE, "done": msg("end"), "end": END, "failed": END}))
    assert run.command == Decide(node="d", decision="spring", visit=1)
    assert run.feed(ActionDone(node="x", ok=True, response={}), MIN) == run.command  # not its own
    command = run.feed(ActionDone(node="d", ok=True, response=PROPOSED), MIN)
    assert isinstance(command, SendMessage) and command.node == "done"
    assert run.state.vars["d"] == PROPOSED
    assert run.outcomes()[0] == ("d", "decided by spring")


def test_decide_failure_goes_to_on_error_or_ends_errored() -> None:
    run = Run(definition({"d": DECIDE, "done": END, "failed": END}))
    assert run.feed(ActionDone(node="d", ok=False, error="decision 'spring' not found"), MIN) == (
        COMPLETED
    )
    assert run.state.vars["d"] == {"error": "decision 'spring' not found"}
    assert run.outcomes() == [("d", "error: decision 'spring' not found"), ("failed", "completed")]
    strict = {**DECIDE}
    del strict["on_error"]
    run = Run(definition({"d": strict, "done": END}))
    final = run.feed(ActionDone(node="d", ok=False, error="boom"), MIN)
    assert final == Finish(status="errored", reason="nodes.d: boom")


# --- send-time optimisation ------------------------------------------------------------


def test_a_send_time_window_is_at_most_a_week() -> None:
    data = {
        "id": "test",
        "name": "Test",
        "entry": {"event": "cart.updated"},
        "start": "m",
        "nodes": {"m": msg("done", send_time={"optimize": "opened", "within": "P8D"}), "done": END},
    }
    parsed, problems = parse_definition(data)
    assert parsed is None
    assert [(p.path, p.message) for p in problems] == [
        ("nodes.m.send_time.within", "must be at most P7D")
    ]


def test_the_holdout_share_holds_over_many_profiles_and_is_stable() -> None:
    defn = definition(
        {"m": msg("done", send_time={"optimize": "opened", "holdout": 0.2}), "done": END}
    )
    groups = []
    for i in range(2000):
        profile = Profile(profile_id=f"p{i}")
        start = Start(
            entry_event=ENTRY.model_copy(update={"profile_id": f"p{i}"}),
            profile=profile,
            journey_id="test",
            version=1,
        )
        first = step(defn, None, start, T0, 7).command
        again = step(defn, None, start, T0 + DAY, 99).command  # another time, another seed
        assert first == again
        groups.append(isinstance(first, SendMessage))
    assert 0.17 < sum(groups) / len(groups) < 0.23
