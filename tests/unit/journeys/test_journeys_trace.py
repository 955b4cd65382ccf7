"""The interpreter's trace, table by table: which visits each script begins and ends, how
(exited, exit_criteria, errored, timed_out) and why (the expressions and their values)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from journeys.interpreter import (
    AssignmentRecorded,
    EventReceived,
    Input,
    MessageSent,
    StepResult,
    StepTrace,
    TimerFired,
    step,
)
from journeys.model import Event, JourneyDefinition, Profile
from journeys.runtime import Check, Start
from journeys.trace import merge
from journeys.validate import parse_definition

T0 = datetime(2024, 1, 31, 12, 0, tzinfo=UTC)
MIN, DAY = timedelta(minutes=1), timedelta(days=1)
END = {"type": "end"}
PROFILE = Profile(profile_id="p1", attributes={"plan": "pro"})


def ev(name: str, event_id: str, **props: Any) -> EventReceived:
    return EventReceived(
        event=Event(event_id=event_id, name=name, profile_id="p1", timestamp=T0, properties=props)
    )


def definition(nodes: dict[str, Any], timeout: str = "P60D") -> JourneyDefinition:
    data = {
        "id": "test",
        "name": "Test",
        "entry": {"event": "go"},
        "exit_on": ["unsubscribed"],
        "timeout": timeout,
        "start": next(iter(nodes)),
        "nodes": nodes,
    }
    parsed, problems = parse_definition(data)
    assert parsed is not None, problems
    return parsed


def run(
    nodes: dict[str, Any], script: list[tuple[Input, timedelta]], timeout: str = "P60D"
) -> tuple[list[StepResult], list[StepTrace]]:
    defn = definition(nodes, timeout)
    start = Start(
        entry_event=ev("go", "e0", total=150).event, profile=PROFILE, journey_id="test", version=1
    )
    results = [step(defn, None, start, T0, 7)]
    for inp, at in script:
        results.append(step(defn, results[-1].state, inp, T0 + at, 7))
    return results, merge(r for result in results for r in result.trace)


def point(key: str, total: int) -> int:
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") % total


def msg(next_: str, **extra: Any) -> dict[str, Any]:
    return {"type": "message", "channel": "log", "template": "t", "next": next_, **extra}


Row = tuple[str, int, str | None, str | None]  # node, visit, outcome, detail
SENT = MessageSent(node="m", message_id="x", status="sent")
QUIET = {"start": "11:00", "end": "13:30"}

TABLE: list[tuple[str, dict[str, Any], list[tuple[Input, timedelta]], list[Row]]] = [
    ("end", {"done": END}, [], [("done", 1, "exited", "completed")]),
    (
        "wait elapsed",
        {"w": {"type": "wait", "duration": "PT1H", "next": "done"}, "done": END},
        [(TimerFired(), 60 * MIN)],
        [("w", 1, "exited", "elapsed"), ("done", 1, "exited", "completed")],
    ),
    (
        "still waiting: entered only",
        {"w": {"type": "wait", "duration": "PT1H", "next": "done"}, "done": END},
        [],
        [("w", 1, None, None)],
    ),
    (
        "exit_on while waiting",
        {"w": {"type": "wait", "duration": "PT1H", "next": "done"}, "done": END},
        [(ev("unsubscribed", "e1"), MIN)],
        [("w", 1, "exit_criteria", "exit_on event unsubscribed")],
    ),
    (
        "journey timeout in a wait",
        {"w": {"type": "wait", "until_time": "2024-03-01T00:00:00Z", "next": "done"}, "done": END},
        [(TimerFired(), DAY)],
        [("w", 1, "timed_out", "journey timeout reached")],
    ),
    (
        "expression error",
        {
            "c": {
                "type": "condition",
                "branches": [{"when": "1 / 0", "next": "done"}],
                "otherwise": "done",
            },
            "done": END,
        },
        [],
        [("c", 1, "errored", "nodes.c.branches[0].when: division by zero")],
    ),
    (
        "deferred by quiet hours, then sent: one visit",
        {"m": msg("done", quiet_hours=QUIET), "done": END},
        [(TimerFired(), 90 * MIN), (SENT, 91 * MIN)],
        [("m", 1, "exited", "sent x"), ("done", 1, "exited", "completed")],
    ),
    (
        "exit during quiet hours ends the message visit",
        {"m": msg("done", quiet_hours=QUIET), "done": END},
        [(ev("unsubscribed", "e1"), MIN)],
        [("m", 1, "exit_criteria", "exit_on event unsubscribed")],
    ),
    (
        "a loop visits a node twice",
        {
            "w": {"type": "wait", "duration": "PT1H", "next": "c"},
            "c": {
                "type": "condition",
                "branches": [{"when": "events.go.properties.total > 100", "next": "w2"}],
                "otherwise": "done",
            },
            "w2": {"type": "wait", "duration": "PT1H", "next": "w"},
            "done": END,
        },
        [(TimerFired(), 60 * MIN), (TimerFired(), 120 * MIN), (TimerFired(), 180 * MIN)],
        [
            ("w", 1, "exited", "elapsed"),
            ("c", 1, "exited", "branch 0"),
            ("w2", 1, "exited", "elapsed"),
            ("w", 2, "exited", "elapsed"),
            ("c", 2, "exited", "branch 0"),
            ("w2", 2, None, None),
        ],
    ),
]


@pytest.mark.parametrize(("name", "nodes", "script", "rows"), TABLE, ids=[t[0] for t in TABLE])
def test_visits(
    name: str, nodes: dict[str, Any], script: list[tuple[Input, timedelta]], rows: list[Row]
) -> None:
    _, records = run(nodes, script, timeout="P1D" if "timeout" in name else "P60D")
    assert [(r.node, r.visit, r.outcome, r.detail) for r in records] == rows


def test_entries_are_numbered_in_order_across_visits() -> None:
    loop = TABLE[8]
    assert loop[0] == "a loop visits a node twice"
    _, records = run(loop[1], loop[2])
    assert [r.seq for r in records] == [1, 2, 3, 4, 5, 6]


def test_condition_records_every_expression_it_evaluated() -> None:
    nodes = {
        "c": {
            "type": "condition",
            "branches": [
                {"when": "profile.attributes.plan == 'free'", "next": "done"},
                {"when": "event.properties.total", "next": "done"},
            ],
            "otherwise": "done",
        },
        "done": END,
    }
    _, records = run(nodes, [])
    assert records[0].checks == [
        Check(expression="profile.attributes.plan == 'free'", value=False),
        Check(expression="event.properties.total", value=150),
    ]
    assert records[0].detail == "branch 1"


def test_otherwise_records_the_false_branches() -> None:
    nodes = {
        "c": {
            "type": "condition",
            "branches": [{"when": "event.properties.total > 500", "next": "done"}],
            "otherwise": "done",
        },
        "done": END,
    }
    _, records = run(nodes, [])
    assert (records[0].detail, records[0].checks) == (
        "otherwise",
        [Check(expression="event.properties.total > 500", value=False)],
    )


def test_split_records_the_hash_point() -> None:
    paths = [
        {"name": "a", "weight": 30, "next": "done"},
        {"name": "b", "weight": 70, "next": "done"},
    ]
    _, records = run({"s": {"type": "split", "paths": paths}, "done": END}, [])
    value = point("test|p1|s", 100)
    assert records[0].checks == [
        Check(expression="sha256('test|p1|s') mod 100 in weights [30, 70]", value=value)
    ]
    assert records[0].detail == ("path a" if value < 30 else "path b")


def test_experiment_records_the_hash_point_with_the_holdout() -> None:
    node = {
        "type": "experiment",
        "variants": [{"name": "ten", "weight": 45, "next": "done"}],
        "holdout": {"weight": 55, "next": "done"},
    }
    results, records = run({"x": node, "done": END}, [(AssignmentRecorded(node="x"), MIN)])
    value = point("test|p1|x", 100)
    assert records[0].checks[0].value == value
    assert records[0].detail == ("variant ten" if value < 45 else "variant holdout")
    assert results[0].trace[0].left_at is None, "the assignment is pending at first"


def test_wait_for_event_records_its_when() -> None:
    nodes = {
        "w": {
            "type": "wait_for_event",
            "event": "paid",
            "when": "received.properties.amount",
            "timeout": "PT1H",
            "on_event": "done",
            "on_timeout": "done",
        },
        "done": END,
    }
    _, records = run(nodes, [(ev("paid", "e1", amount=0), MIN), (ev("paid", "e2", amount=9), MIN)])
    assert records[0].detail == "event paid"
    assert records[0].checks == [Check(expression="received.properties.amount", value=9)]


def test_each_step_traces_only_what_it_changed_and_the_state_stays_clean() -> None:
    nodes = {"w": {"type": "wait", "duration": "PT1H", "next": "done"}, "done": END}
    results, _ = run(nodes, [(TimerFired(), 60 * MIN)])
    assert [(r.node, r.left_at is None) for r in results[0].trace] == [("w", True)]
    assert [(r.node, r.outcome) for r in results[1].trace] == [("w", "exited"), ("done", "exited")]
    assert results[1].trace[0].entered_at == T0, "an ending traced later keeps the entry time"
    dumped = results[1].state.model_dump()
    assert "_trace" not in dumped and "trace" not in dumped


def test_merge_is_independent_of_batching() -> None:
    nodes = {"w": {"type": "wait", "duration": "PT1H", "next": "done"}, "done": END}
    results, whole = run(nodes, [(TimerFired(), 60 * MIN)])
    flat = [r for result in results for r in result.trace]
    assert merge(flat[:1]) + merge(flat[1:]) != whole  # two batches name w twice...
    assert merge(merge(flat[:1]) + merge(flat[1:])) == whole  # ...which merging folds
    assert {r.node: r.entered_at for r in merge(reversed(flat))}["w"] == T0
