"""Property-based tests: random valid graphs validate and always run to a well-formed end.

Valid graphs are generated so that every cycle contains a wait: nodes are numbered and
only waits may point backwards (or to themselves); everything else points forwards.
Invalid graphs are valid ones with a known defect added, which must be reported at the
defect's path.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journeys.interpreter import (
    Command,
    EventReceived,
    Finish,
    Input,
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
from journeys.model import Event, JourneyDefinition, MessageNode, Profile
from journeys.validate import validate

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
T0 = datetime(2024, 1, 31, 12, 0, tzinfo=UTC)
EVENT_NAMES = ["order.completed", "promo.clicked", "unsubscribed", "page.viewed"]
CONDITIONS = [
    "event.properties.total > 50",
    "profile.attributes.vip",
    "profile.email is none",
    "'promo.clicked' in events",
    "now > event.timestamp + hours(30)",
    "event.properties.missing > 1",  # fails at runtime: errored is a fine end too
]
WHENS = [None, "received.properties.total > 50", "profile.attributes.vip", "received.name"]
WAIT_DURATIONS = ["PT1M", "PT1H", "PT6H", "P1D"]
UNTILS = ["now + duration('PT2H')", "event.timestamp + days(1)", "now + minutes(5)"]


@st.composite
def node_at(draw: st.DrawFn, ids: list[str], index: int) -> dict[str, Any]:
    """Node `index`: waits may point anywhere, other nodes only forwards."""
    forward, anywhere = st.sampled_from(ids[index + 1 :] or ["-"]), st.sampled_from(ids)
    kinds = ["wait", "wait_for_event", "end"] + (
        ["message", "condition"] if index + 1 < len(ids) else []
    )
    kind = draw(st.sampled_from(kinds))
    if kind == "end":
        return {"type": "end"}
    if kind == "message":
        channel = draw(st.sampled_from(["email", "sms"]))
        return {"type": "message", "channel": channel, "template": "t", "next": draw(forward)}
    if kind == "condition":
        whens = draw(st.lists(st.sampled_from(CONDITIONS), min_size=1, max_size=3))
        branches = [{"when": when, "next": draw(forward)} for when in whens]
        return {"type": "condition", "branches": branches, "otherwise": draw(forward)}
    if kind == "wait":
        if draw(st.booleans()):
            return {
                "type": "wait",
                "duration": draw(st.sampled_from(WAIT_DURATIONS)),
                "next": draw(anywhere),
            }
        return {"type": "wait", "until": draw(st.sampled_from(UNTILS)), "next": draw(anywhere)}
    node = {"type": "wait_for_event", "event": draw(st.sampled_from(EVENT_NAMES))}
    node.update({"timeout": draw(st.sampled_from(WAIT_DURATIONS)), "on_event": draw(anywhere)})
    node["on_timeout"] = draw(anywhere)
    when = draw(st.sampled_from(WHENS))
    return node | ({"when": when} if when else {})


def targets(node: dict[str, Any]) -> list[str]:
    found = [node.get(k) for k in ("next", "on_event", "on_timeout", "otherwise")]
    found += [b["next"] for b in node.get("branches", [])]
    return [t for t in found if t]


@st.composite
def valid_definitions(draw: st.DrawFn) -> dict[str, Any]:
    ids = [f"n{i}" for i in range(draw(st.integers(min_value=1, max_value=10)))]
    nodes = {node_id: draw(node_at(ids, i)) for i, node_id in enumerate(ids)}
    reached, todo = {"n0"}, ["n0"]
    while todo:
        for target in targets(nodes[todo.pop()]):
            if target not in reached:
                reached.add(target)
                todo.append(target)
    return {
        "id": "generated",
        "name": "Generated",
        "entry": {"event": "cart.updated", "when": "event.properties.total >= 0"},
        "exit_on": draw(st.lists(st.sampled_from(EVENT_NAMES), max_size=2, unique=True)),
        "timeout": draw(st.sampled_from(["P1D", "P3D", "P30D"])),
        "start": "n0",
        "nodes": {i: n for i, n in nodes.items() if i in reached},
    }


@SETTINGS
@given(valid_definitions())
def test_valid_graphs_have_no_problems(data: dict[str, Any]) -> None:
    assert validate(data, known_channels={"email", "sms"}, known_templates={"t"}) == []


# --- the interpreter under random inputs ---------------------------------------------------


def random_event(draw: st.DrawFn, now: datetime) -> EventReceived:
    name = draw(st.sampled_from([*EVENT_NAMES, "cart.updated"]))
    return EventReceived(
        event=Event(
            event_id=draw(st.sampled_from([f"e{i}" for i in range(8)])),
            name=name,
            profile_id=draw(st.sampled_from(["p1", "p1", "p1", "p2"])),
            timestamp=now,
            properties=draw(st.fixed_dictionaries({}, optional={"total": st.integers(0, 100)})),
        )
    )


def next_input(draw: st.DrawFn, command: Command, now: datetime) -> tuple[Input, datetime]:
    """What a driver (or a confused one) could feed next, and when."""
    choice = draw(st.integers(min_value=0, max_value=9))
    if isinstance(command, Wait):
        if choice < 5:
            return TimerFired(), command.until
        seconds = (command.until - now).total_seconds()
        later = now + timedelta(seconds=draw(st.floats(0, seconds * 0.99)))
        return random_event(draw, later), later
    if choice < 2:
        return random_event(draw, now), now
    if choice == 2:
        return TimerFired(), now
    if isinstance(command, SendMessage):
        node = command.node if choice > 3 else "someone-else"
        status = draw(st.sampled_from(["sent", "failed", "skipped"]))
        return MessageSent(node=node, message_id=f"m{choice}", status=status), now
    attributes = draw(st.fixed_dictionaries({}, optional={"vip": st.booleans()}))
    return ProfileLoaded(profile=Profile(profile_id="p1", attributes=attributes)), now


def check(definition: JourneyDefinition, result: StepResult, now: datetime) -> None:
    """What must hold after every step, whatever the input."""
    state, command = result.state, result.command
    assert current_command(definition, state) == command
    assert StepResult.model_validate_json(result.model_dump_json()) == result
    assert now <= state.deadline
    assert (state.status == "active") is not isinstance(command, Finish)
    if isinstance(command, Finish):
        assert command.status == state.status
        if command.status == "timed_out":
            assert now == state.deadline
    elif isinstance(command, Wait):
        assert now < command.until <= state.deadline
        assert state.wait is not None and state.wait.event == command.event
    elif isinstance(command, SendMessage):
        node = definition.nodes[command.node]
        assert isinstance(node, MessageNode) and state.node == command.node
        assert (command.channel, command.template) == (node.channel, node.template)
        assert command.visit == state.visits[command.node] >= 1
    else:
        assert isinstance(command, LoadProfile) and state.profile_stale


@SETTINGS
@given(valid_definitions(), st.data())
def test_interpreter_never_breaks(data: dict[str, Any], draws: st.DataObject) -> None:
    definition = JourneyDefinition.model_validate(data)
    vip = draws.draw(st.fixed_dictionaries({}, optional={"vip": st.booleans()}))
    entry = Event(
        event_id="e0",
        name="cart.updated",
        profile_id="p1",
        timestamp=T0,
        properties={"total": draws.draw(st.integers(0, 100))},
    )
    seed, now = draws.draw(st.integers(0, 2**31)), T0
    start = Start(entry_event=entry, profile=Profile(profile_id="p1", attributes=vip),
                  journey_id="generated", version=1)  # fmt: skip
    result = step(definition, None, start, now, seed)
    check(definition, result, now)
    for _ in range(40):
        if isinstance(result.command, Finish):
            break
        inp, now = next_input(draws.draw, result.command, now)
        result = step(definition, result.state, inp, now, seed)
        check(definition, result, now)


# --- defects are reported where they are --------------------------------------------------


def edge_paths(nodes: dict[str, Any]) -> list[tuple[str, list[str | int]]]:
    """(node id, location inside the node) of every edge."""
    found: list[tuple[str, list[str | int]]] = []
    for node_id, node in nodes.items():
        found += [
            (node_id, [k]) for k in ("next", "on_event", "on_timeout", "otherwise") if k in node
        ]
        found += [(node_id, ["branches", i, "next"]) for i in range(len(node.get("branches", [])))]
    return found


def path_text(node_id: str, parts: list[str | int]) -> str:
    return f"nodes.{node_id}" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)


@SETTINGS
@given(
    valid_definitions(),
    st.sets(st.sampled_from(["dangling", "orphan", "cycle"]), min_size=1),
    st.data(),
)
def test_defects_are_reported(
    data: dict[str, Any], defects: set[str], draws: st.DataObject
) -> None:
    broken = copy.deepcopy(data)
    nodes = broken["nodes"]
    expected: set[tuple[str, str]] = set()
    edges = edge_paths(nodes)
    if "dangling" in defects and edges:
        node_id, parts = draws.draw(st.sampled_from(edges))
        holder = nodes[node_id]
        for part in parts[:-1]:
            holder = holder[part]
        holder[parts[-1]] = "missing"
        expected.add((path_text(node_id, parts), "unknown node 'missing'"))
    if "orphan" in defects:
        nodes["orphan"] = {"type": "end"}
        expected.add(("nodes.orphan", "unreachable from start"))
    if "cycle" in defects:
        nodes["loop_a"] = {"type": "condition", "branches": [{"when": "true", "next": "loop_b"}],
                           "otherwise": broken["start"]}  # fmt: skip
        nodes["loop_b"] = {"type": "message", "channel": "email", "template": "t", "next": "loop_a"}
        broken["start"] = "loop_a"
        expected.add(("nodes.loop_a", "cycle without a wait through loop_a, loop_b"))
    problems = {(p.path, p.message) for p in validate(broken)}
    for path, message in expected:
        assert any(p == path and message in m for p, m in problems), (path, problems)
