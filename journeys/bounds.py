"""How large a journey definition may be: every bound with the problem a user gets past it.

Validation costs about half a millisecond an expression, so a 0.5 MiB definition with one
10,000-branch condition held the API for seconds. These bounds are checked first, on the
raw document, so an oversized definition is refused at once with the bound it crossed,
before any expression is compiled. They are far above what a marketer draws (Adobe Journey
Optimizer allows 50 activities a journey; Braze Canvas 200 steps).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from journeys.problems import Problem, format_path

MAX_NODES = 500
MAX_LIST_ITEMS = 100  # branches of a condition, paths of a split, any list of a node
MAX_EXPRESSIONS = 1_000
MAX_DEFINITION_CHARS = 262_144  # the definition written as JSON


def bound_problems(data: Mapping[str, Any], expressions: Iterator[object]) -> list[Problem]:
    """Each bound the definition crosses; `expressions` yields one item per expression and
    is only read up to one past the bound."""
    problems = []
    size = len(json.dumps(data, default=str, separators=(",", ":")))
    if size > MAX_DEFINITION_CHARS:
        message = f"the definition is {size} characters as JSON; at most {MAX_DEFINITION_CHARS}"
        problems.append(Problem(path="", message=message))
    problems.extend(_node_problems(data.get("nodes")))
    if _more_than(expressions, MAX_EXPRESSIONS):
        message = f"more than {MAX_EXPRESSIONS} expressions in one journey"
        problems.append(Problem(path="nodes", message=message))
    return problems


def _node_problems(nodes: object) -> Iterator[Problem]:
    if not isinstance(nodes, Mapping):
        return  # the model reports it
    if len(nodes) > MAX_NODES:
        yield Problem(path="nodes", message=f"{len(nodes)} nodes; at most {MAX_NODES}")
    for node_id, node in nodes.items():
        for name, value in node.items() if isinstance(node, Mapping) else ():
            if isinstance(value, list) and len(value) > MAX_LIST_ITEMS:
                message = f"{len(value)} items; at most {MAX_LIST_ITEMS}"
                yield Problem(path=format_path(["nodes", str(node_id), name]), message=message)


def _more_than(items: Iterator[object], bound: int) -> bool:
    return any(i >= bound for i, _ in enumerate(items))
