"""The bounds of a definition: each refused at once, with the bound in its message."""

from __future__ import annotations

from typing import Any

from journeys.problems import Problem
from journeys.validate import parse_definition


def branching(count: int, conditions: int = 1) -> dict[str, Any]:
    nodes: dict[str, Any] = {
        f"c{k}": {
            "type": "condition",
            "branches": [
                {"when": f"event.properties.n == {i}", "next": f"c{k + 1}"} for i in range(count)
            ],
            "otherwise": f"c{k + 1}",
        }
        for k in range(conditions)
    }
    nodes[f"c{conditions}"] = {"type": "end"}
    return {"id": "big", "name": "Big", "entry": {"event": "go"}, "start": "c0", "nodes": nodes}


def chain(length: int) -> dict[str, Any]:
    nodes: dict[str, Any] = {
        f"n{i}": {"type": "wait", "duration": "PT1M", "next": f"n{i + 1}"} for i in range(length)
    }
    nodes[f"n{length}"] = {"type": "end"}
    return {"id": "long", "name": "Long", "entry": {"event": "go"}, "start": "n0", "nodes": nodes}


def test_a_ten_thousand_branch_condition_is_refused_before_it_is_compiled() -> None:
    """Compiling its expressions took 5 s of the API's time; the bounds are read first."""
    definition, problems = parse_definition(branching(10_000))
    assert definition is None
    assert problems == [
        Problem(path="", message="the definition is 499037 characters as JSON; at most 262144"),
        Problem(path="nodes.c0.branches", message="10000 items; at most 100"),
        Problem(path="nodes", message="more than 1000 expressions in one journey"),
    ]


def test_at_most_100_items_in_a_list_of_a_node() -> None:
    assert parse_definition(branching(100))[1] == []
    assert parse_definition(branching(101))[1] == [
        Problem(path="nodes.c0.branches", message="101 items; at most 100")
    ]


def test_at_most_500_nodes() -> None:
    assert parse_definition(chain(499))[1] == []  # 500 nodes with the end
    assert parse_definition(chain(500))[1] == [
        Problem(path="nodes", message="501 nodes; at most 500")
    ]


def test_at_most_1000_expressions() -> None:
    assert parse_definition(branching(100, conditions=10))[1] == []
    assert parse_definition(branching(100, conditions=11))[1] == [
        Problem(path="nodes", message="more than 1000 expressions in one journey")
    ]


def test_at_most_256_kib_as_json() -> None:
    data = chain(1) | {"name": "x" * 262_144}
    definition, problems = parse_definition(data)
    assert definition is None
    assert [p.path for p in problems] == [""]
    assert problems[0].message.endswith("characters as JSON; at most 262144")
