"""Property-based tests: random valid graphs validate and always run to a well-formed end.

Valid graphs are generated so that every cycle contains a wait: nodes are numbered and
only waits may point backwards (or to themselves); everything else points forwards.
Invalid graphs are valid ones with a known defect added, which must be reported at the
defect's path.
"""

from __future__ import annotations

import copy
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journeys.interpreter import (
    ActionDone,
    AssignmentRecorded,
    CallAction,
    Command,
    EventReceived,
    FetchData,
    Finish,
    Input,
    Jumped,
    JumpToJourney,
    LoadProfile,
    MessageSent,
    ProfileLoaded,
    ProfileUpdated,
    RecordAssignment,
    SendMessage,
    Start,
    StepResult,
    TimerFired,
    UpdateProfile,
    Wait,
    current_command,
    step,
)
from journeys.model import Event, JourneyDefinition, Profile
from journeys.nodes.action import ActionNode
from journeys.nodes.experiment import ExperimentNode
from journeys.nodes.fetch import FetchNode
from journeys.nodes.jump import JumpNode
from journeys.nodes.message import MessageNode
from journeys.nodes.update_profile import UpdateProfileNode
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
UNTIL_TIMES = ["2024-01-31T14:00:00+01:00", "2024-02-01T09:00:00Z", "2020-01-01T00:00:00Z"]
TIMEZONES = [None, "Europe/Paris", "Asia/Tokyo"]
PARAMS = [
    {},
    {"to": "{{ profile.email }}", "n": 1},
    {"x": "{{ event.properties.missing }}"},
    {"total": "{{ event.properties.total }}", "tags": ["a"]},
]
SET_VALUES = ["'gold'", "event.properties.total", "now", "profile.attributes.vip", "[1, 2]"]
INCREMENTS = ["1", "event.properties.total", "'not a number'", "-0.5"]


def weights(draw: st.DrawFn, count: int) -> list[int]:
    """`count` integer weights adding up to 100."""
    cuts = sorted(draw(st.lists(st.integers(0, 100), min_size=count - 1, max_size=count - 1)))
    bounds = [0, *cuts, 100]
    return [high - low for low, high in itertools.pairwise(bounds)]


@st.composite
def node_at(draw: st.DrawFn, ids: list[str], index: int) -> dict[str, Any]:
    """Node `index`: waits that always block may point anywhere, other nodes only forwards."""
    forward, anywhere = st.sampled_from(ids[index + 1 :] or ["-"]), st.sampled_from(ids)
    kinds = ["wait", "wait_for_event", "end", "jump_end"]
    if index + 1 < len(ids):
        kinds += ["message", "message", "condition", "split", "experiment", "action", "fetch"]
        kinds += ["update_profile", "jump", "until_time"]
    kind = draw(st.sampled_from(kinds))
    if kind == "end":
        return {"type": "end"}
    if kind == "jump_end":
        return {"type": "jump", "journey": "elsewhere", "end": True}
    if kind == "jump":
        return {"type": "jump", "journey": "elsewhere", "next": draw(forward)}
    if kind == "message":
        channel = draw(st.sampled_from(["email", "sms"]))
        node = {"type": "message", "channel": channel, "template": "t", "next": draw(forward)}
        if draw(st.booleans()):
            start, end = draw(
                st.sampled_from([("21:00", "08:00"), ("11:00", "13:00"), ("12:30", "12:45")])
            )
            tz = draw(st.sampled_from(TIMEZONES))
            node["quiet_hours"] = {"start": start, "end": end} | ({"timezone": tz} if tz else {})
        return node
    if kind == "condition":
        whens = draw(st.lists(st.sampled_from(CONDITIONS), min_size=1, max_size=3))
        branches = [{"when": when, "next": draw(forward)} for when in whens]
        node = {"type": "condition", "branches": branches, "otherwise": draw(forward)}
        return node | ({"refresh": True} if draw(st.booleans()) else {})
    if kind == "split":
        shares = weights(draw, draw(st.integers(1, 3)))
        paths = [
            {"name": f"p{i}", "weight": w, "next": draw(forward)} for i, w in enumerate(shares)
        ]
        return {"type": "split", "paths": paths, "sticky": draw(st.booleans())}
    if kind == "experiment":
        holdout = draw(st.booleans())
        shares = weights(draw, draw(st.integers(1, 3)) + holdout)
        node = {
            "type": "experiment",
            "variants": [
                {"name": f"v{i}", "weight": w, "next": draw(forward)}
                for i, w in enumerate(shares[: len(shares) - holdout])
            ],
        }
        if holdout:
            node["holdout"] = {"weight": shares[-1], "next": draw(forward)}
        return node
    if kind in ("action", "fetch"):
        resource = {"action": "crm"} if kind == "action" else {"source": "crm"}
        node = {"type": kind, **resource, "params": draw(st.sampled_from(PARAMS))}
        node["next"] = draw(forward)
        return node | ({"on_error": draw(forward)} if draw(st.booleans()) else {})
    if kind == "update_profile":
        values = draw(st.dictionaries(st.sampled_from(["a", "b"]), st.sampled_from(SET_VALUES)))
        increments = draw(
            st.dictionaries(
                st.sampled_from(["c", "d"]),
                st.sampled_from(INCREMENTS),
                min_size=0 if values else 1,
            )
        )
        return {
            "type": "update_profile",
            "set": values,
            "increment": increments,
            "next": draw(forward),
        }
    if kind == "until_time":  # a fixed time passes for good: it does not break cycles
        return {
            "type": "wait",
            "until_time": draw(st.sampled_from(UNTIL_TIMES)),
            "next": draw(forward),
        }
    if kind == "wait":
        choice = draw(st.integers(0, 2))
        if choice == 0:
            return {
                "type": "wait",
                "duration": draw(st.sampled_from(WAIT_DURATIONS)),
                "next": draw(anywhere),
            }
        if choice == 1:
            days = draw(st.lists(st.sampled_from(["mon", "wed", "sat"]), min_size=1, unique=True))
            spec = {"days": days, "time": draw(st.sampled_from(["09:00", "12:00", "23:30"]))}
            tz = draw(st.sampled_from(TIMEZONES))
            return {
                "type": "wait",
                "next_weekday": spec | ({"timezone": tz} if tz else {}),
                "next": draw(anywhere),
            }
        return {"type": "wait", "until": draw(st.sampled_from(UNTILS)), "next": draw(anywhere)}
    node = {"type": "wait_for_event", "event": draw(st.sampled_from(EVENT_NAMES))}
    if draw(st.integers(0, 3)) == 0:  # a reaction, if a message node exists (see below)
        node = {"type": "wait_for_event", "reaction": {"to": "?", "kind": "clicked"}}
    node.update({"timeout": draw(st.sampled_from(WAIT_DURATIONS)), "on_event": draw(anywhere)})
    node["on_timeout"] = draw(anywhere)
    when = draw(st.sampled_from(WHENS))
    return node | ({"when": when} if when else {})


EDGE_KEYS = ("next", "on_event", "on_timeout", "otherwise", "on_error")


def targets(node: dict[str, Any]) -> list[str]:
    found = [node.get(k) for k in EDGE_KEYS]
    for key in ("branches", "paths", "variants"):
        found += [b["next"] for b in node.get(key, [])]
    found.append(node.get("holdout", {}).get("next"))
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
    messages = sorted(i for i in reached if nodes[i]["type"] == "message")
    for node in nodes.values():
        if "reaction" in node and messages:
            node["reaction"]["to"] = draw(st.sampled_from(messages))
        elif "reaction" in node:
            del node["reaction"]
            node["event"] = "order.completed"
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
    known = {"known_channels": {"email", "sms"}, "known_templates": {"t"}}
    known |= {"known_actions": {"crm"}, "known_sources": {"crm"}, "known_journeys": {"elsewhere"}}
    assert validate(data, **known) == []


# --- the interpreter under random inputs ---------------------------------------------------


def random_event(draw: st.DrawFn, now: datetime) -> EventReceived:
    name = draw(st.sampled_from([*EVENT_NAMES, "cart.updated", "message.clicked"]))
    optional = {"total": st.integers(0, 100), "message_id": st.sampled_from(["m4", "m5"])}
    return EventReceived(
        event=Event(
            event_id=draw(st.sampled_from([f"e{i}" for i in range(8)])),
            name=name,
            profile_id=draw(st.sampled_from(["p1", "p1", "p1", "p2"])),
            timestamp=now,
            properties=draw(st.fixed_dictionaries({}, optional=optional)),
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
    node = getattr(command, "node", "") if choice > 3 else "someone-else"
    if isinstance(command, SendMessage):
        status = draw(st.sampled_from(["sent", "failed", "skipped"]))
        return MessageSent(node=node, message_id=f"m{choice % 2 + 4}", status=status), now
    if isinstance(command, RecordAssignment):
        return AssignmentRecorded(node=node), now
    if isinstance(command, CallAction | FetchData):
        ok = draw(st.booleans())
        response = draw(st.sampled_from([None, {}, {"id": 1}]))
        return ActionDone(node=node, ok=ok, response=response, error=None if ok else "boom"), now
    if isinstance(command, UpdateProfile):
        profile = Profile(profile_id="p1", attributes={"vip": draw(st.booleans())})
        return ProfileUpdated(node=node, profile=profile), now
    if isinstance(command, JumpToJourney):
        return Jumped(node=node, ok=draw(st.booleans()), error="nope"), now
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
    elif isinstance(command, RecordAssignment):
        node = definition.nodes[command.node]
        assert isinstance(node, ExperimentNode) and state.node == command.node
        names = [v.name for v in node.variants] + (["holdout"] if node.holdout else [])
        assert command.variant in names and command.experiment == command.node
    elif isinstance(command, CallAction | FetchData):
        node = definition.nodes[command.node]
        assert isinstance(node, ActionNode | FetchNode) and state.node == command.node
        assert state.call is not None and command.params == state.call.params
        assert set(command.params) == set(node.params)
    elif isinstance(command, UpdateProfile):
        node = definition.nodes[command.node]
        assert isinstance(node, UpdateProfileNode) and state.node == command.node
        assert set(command.set) == set(node.set)
        assert set(command.increment) == set(node.increment)
    elif isinstance(command, JumpToJourney):
        node = definition.nodes[command.node]
        assert isinstance(node, JumpNode) and command.journey == node.journey
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
        found += [(node_id, [k]) for k in EDGE_KEYS if k in node]
        for key in ("branches", "paths", "variants"):
            found += [(node_id, [key, i, "next"]) for i in range(len(node.get(key, [])))]
        if "holdout" in node:
            found.append((node_id, ["holdout", "next"]))
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
