"""Validation of journey definitions: every problem at once, each with its path.

A marketer fixing a definition wants the full list, not one error per attempt, and each
problem where it is (`nodes.big_cart.branches[0].when`). Shape errors come from the
pydantic models (their locations rewritten into such paths); the checks that need the
whole graph run on the raw data, so they still report when some node is malformed:
unknown targets, unreachable nodes, cycles without a wait, expressions that do not
compile or read unknown names, waits longer than the journey timeout, reactions to
nodes that are not messages, jumps to the journey itself, and unknown channels,
templates, actions, data sources or journeys when the known sets are given.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import ValidationError

from journeys.bounds import bound_problems
from journeys.durations import duration_upper_bound
from journeys.entry_key import KEY_NAMES
from journeys.expressions import (
    CONTEXT_NAMES,
    ExpressionError,
    compile_expression,
    compile_template,
    referenced_names,
    template_names,
)
from journeys.fields import FIELD_ERROR
from journeys.model import DEFAULT_TIMEOUT, NODE_TYPES, JourneyDefinition
from journeys.nodes import NODE_KINDS
from journeys.nodes.base import Catalogs, FieldPath, Graph, NodeType, Raw
from journeys.problems import Problem, format_path

_TYPES = ", ".join(NODE_TYPES)


def parse_definition(
    data: Mapping[str, Any],
    *,
    known_channels: set[str] | None = None,
    known_templates: set[str] | None = None,
    known_actions: set[str] | None = None,
    known_sources: set[str] | None = None,
    known_journeys: set[str] | None = None,
    known_decisions: set[str] | None = None,
) -> tuple[JourneyDefinition | None, list[Problem]]:
    """The definition if it has no problem at all, else None; and every problem found.

    Each `known_*` set, when given, is checked: message channels and templates, action
    resources, data source resources, journeys jumped to.
    """
    if not isinstance(data, Mapping):
        return None, [Problem(path="", message="a journey definition must be a mapping")]
    bounds = bound_problems(data, _expressions(data))
    if bounds:  # refused before the costly checks: no oversized input holds the caller
        return None, bounds
    problems: list[Problem] = []
    definition = None
    try:
        definition = JourneyDefinition.model_validate(data)
    except ValidationError as exc:
        problems.extend(_from_pydantic(exc, data))
    problems.extend(_graph_problems(data))
    problems.extend(_expression_problems(data))
    problems.extend(_template_problems(data))
    problems.extend(_wait_problems(data))
    problems.extend(_reference_problems(data))
    problems.extend(_keyed_problems(data))
    catalogs = Catalogs(
        channels=known_channels,
        templates=known_templates,
        actions=known_actions,
        sources=known_sources,
        journeys=known_journeys,
        decisions=known_decisions,
    )
    problems.extend(_catalog_problems(data, catalogs))
    problems.extend(_resource_problems(data, catalogs))
    unique = list(dict.fromkeys(problems))
    return (definition if not unique else None), unique


def validate(
    data: Mapping[str, Any],
    *,
    known_channels: set[str] | None = None,
    known_templates: set[str] | None = None,
    known_actions: set[str] | None = None,
    known_sources: set[str] | None = None,
    known_journeys: set[str] | None = None,
    known_decisions: set[str] | None = None,
) -> list[Problem]:
    """Every problem of a definition; empty if it can be published."""
    return parse_definition(
        data,
        known_channels=known_channels,
        known_templates=known_templates,
        known_actions=known_actions,
        known_sources=known_sources,
        known_journeys=known_journeys,
        known_decisions=known_decisions,
    )[1]


# --- paths -----------------------------------------------------------------------------


def _node_path(node_id: str, *rest: str | int) -> str:
    return format_path(["nodes", node_id, *rest])


# --- pydantic errors -------------------------------------------------------------------


def _from_pydantic(exc: ValidationError, data: Mapping[str, Any]) -> Iterator[Problem]:
    for error in exc.errors(include_url=False):
        parts = _clean_loc(list(error["loc"]), data)
        message = error["msg"]
        kind, ctx = error["type"], error.get("ctx") or {}
        if kind == FIELD_ERROR:
            parts.append(str(ctx["field"]))
        elif kind == "missing":
            message = "required"
        elif kind == "extra_forbidden":
            message = "unknown field"
        elif kind == "union_tag_invalid":
            parts.append("type")
            message = f"unknown node type {ctx.get('tag')!r}; expected one of {_TYPES}"
        elif kind == "union_tag_not_found":
            parts.append("type")
            message = f"required; one of {_TYPES}"
        elif kind in ("dict_type", "model_type", "model_attributes_type"):
            message = "must be a mapping"
        elif kind == "string_pattern_mismatch":
            message = _pattern_message(error["loc"])
        yield Problem(path=format_path(parts), message=message)


def _clean_loc(loc: list[str | int], data: Mapping[str, Any]) -> list[str | int]:
    """Drop pydantic's union tag (`nodes.x.message.next`) and dict-key markers."""
    if len(loc) >= 3 and loc[0] == "nodes" and loc[2] in NODE_TYPES:
        raw = _raw_nodes(data).get(str(loc[1]), {})
        if raw.get("type") == loc[2]:
            del loc[2]
    return [part for part in loc if part != "[key]"]


def _pattern_message(loc: tuple[str | int, ...]) -> str:
    if loc and loc[-1] == "[key]":
        return "invalid node id: use letters, digits, - and _ (at most 63, not starting with -/_)"
    return "must be a slug: lowercase letters, digits, - and _ (at most 63, not starting with -/_)"


# --- the graph -------------------------------------------------------------------------


def _raw_nodes(data: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The nodes that are mappings, by id, whatever else is wrong with them."""
    nodes = data.get("nodes")
    if not isinstance(nodes, Mapping):
        return {}
    return {str(k): dict(v) for k, v in nodes.items() if isinstance(v, Mapping)}


def _node_ids(data: Mapping[str, Any]) -> list[str]:
    nodes = data.get("nodes")
    return [str(k) for k in nodes] if isinstance(nodes, Mapping) else []


def _kind(node: Raw) -> NodeType[Any] | None:
    """The node type of a raw node, or None if its `type` is missing or unknown."""
    kind = node.get("type")
    return NODE_KINDS.get(kind) if isinstance(kind, str) else None


def _edges(node: Raw) -> list[tuple[FieldPath, str]]:
    """(field path, target) of every well-formed outgoing edge of a raw node."""
    kind = _kind(node)
    edges = []
    for field in kind.edges(node) if kind is not None else []:
        target = _lookup(node, field)
        if isinstance(target, str):
            edges.append((field, target))
    return edges


def _lookup(value: Any, parts: FieldPath) -> Any:
    for part in parts:
        if isinstance(part, int):
            value = value[part] if isinstance(value, list) and part < len(value) else None
        else:
            value = value.get(part) if isinstance(value, Mapping) else None
    return value


def _graph_problems(data: Mapping[str, Any]) -> Iterator[Problem]:
    """Unknown targets, nodes unreachable from start, cycles on which nothing waits."""
    ids, nodes = _node_ids(data), _raw_nodes(data)
    known = set(ids)
    start = data.get("start")
    if isinstance(start, str) and start not in known:
        yield Problem(path="start", message=f"unknown node {start!r}")
    for node_id, node in nodes.items():
        for field, target in _edges(node):
            if target not in known:
                yield Problem(path=_node_path(node_id, *field), message=f"unknown node {target!r}")
    if isinstance(start, str) and start in known:
        successors = {i: [t for _, t in _edges(n) if t in known] for i, n in nodes.items()}
        reached = _reachable(successors, [start]) | {start}
        for node_id in ids:
            if node_id not in reached:
                yield Problem(path=_node_path(node_id), message="unreachable from start")
    yield from _cycle_problems(nodes)


def _reachable(successors: Mapping[str, list[str]], first: list[str]) -> set[str]:
    """Nodes reachable from the nodes `first` (those included)."""
    seen, todo = set(first), list(first)
    while todo:
        for target in successors.get(todo.pop(), ()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def _blocks(node: Raw) -> bool:
    """Whether entering the node makes the journey wait, so a cycle through it is fine."""
    kind = _kind(node)
    return kind is not None and kind.blocks(node)


def _cycle_problems(nodes: Mapping[str, Mapping[str, Any]]) -> Iterator[Problem]:
    """One problem per group of nodes that loop into each other without waiting."""
    free = {i: n for i, n in nodes.items() if not _blocks(n)}
    successors = {i: [t for _, t in _edges(n) if t in free] for i, n in free.items()}
    reach = {i: _reachable(successors, successors[i]) for i in free}
    reported: set[str] = set()
    for node_id in free:
        if node_id in reported or node_id not in reach[node_id]:
            continue
        members = [j for j in free if j in reach[node_id] and node_id in reach[j]]
        reported.update(members)
        message = f"cycle without a wait through {', '.join(members)}; add a wait on it"
        yield Problem(path=_node_path(node_id), message=message)


# --- expressions, waits, catalog -----------------------------------------------------


def _expressions(data: Mapping[str, Any]) -> Iterator[tuple[str, Any, frozenset[str]]]:
    """(path, source, names it may read) of every expression of the definition."""
    entry = data.get("entry")
    if isinstance(entry, Mapping) and entry.get("when") is not None:
        yield "entry.when", entry.get("when"), CONTEXT_NAMES
    if isinstance(entry, Mapping) and entry.get("key") is not None:
        yield "entry.key", entry.get("key"), KEY_NAMES
    for node_id, node, kind in _typed_nodes(data):
        for field, source, names in kind.expressions(node):
            yield _node_path(node_id, *field), source, names


def _typed_nodes(data: Mapping[str, Any]) -> Iterator[tuple[str, Raw, NodeType[Any]]]:
    """(id, raw node, node type) of the raw nodes of a known type."""
    for node_id, node in _raw_nodes(data).items():
        kind = _kind(node)
        if kind is not None:
            yield node_id, node, kind


def _expression_problems(data: Mapping[str, Any]) -> Iterator[Problem]:
    for path, source, allowed in _expressions(data):
        if isinstance(source, str):  # other types are reported by the model
            message = _expression_problem(source, allowed)
            if message is not None:
                yield Problem(path=path, message=message)


def expression_problem(source: str, allowed: frozenset[str] = CONTEXT_NAMES) -> str | None:
    """Why `source` is not an expression reading only `allowed` names; None when it is.
    Also for expressions outside a definition (a migration's `when`)."""
    return _expression_problem(source, allowed)


def _expression_problem(source: str, allowed: frozenset[str]) -> str | None:
    try:
        compile_expression(source)
        unknown = sorted(referenced_names(source) - allowed)
    except ExpressionError as exc:
        return f"invalid expression: {exc.message}"
    if unknown == ["received"]:
        return "`received` is only available in the `when` of a wait_for_event"
    if unknown:
        names = ", ".join(repr(name) for name in unknown)
        return f"unknown name {names}; available: {', '.join(sorted(allowed))}"
    return None


def _template_problems(data: Mapping[str, Any]) -> Iterator[Problem]:
    """Templates of the nodes (the string params of actions and fetches) must compile."""
    for node_id, node, kind in _typed_nodes(data):
        for field, source in kind.templates(node):
            message = _template_problem(source)
            if message is not None:
                yield Problem(path=_node_path(node_id, *field), message=message)


def _template_problem(source: str) -> str | None:
    try:
        compile_template(source)
        unknown = sorted(template_names(source) - CONTEXT_NAMES)
    except ExpressionError as exc:
        return f"invalid template: {exc.message}"
    if unknown:
        names = ", ".join(repr(name) for name in unknown)
        return f"unknown name {names}; available: {', '.join(sorted(CONTEXT_NAMES))}"
    return None


def _wait_problems(data: Mapping[str, Any]) -> Iterator[Problem]:
    """Waits that could outlast the journey timeout (compared by their longest length)."""
    timeout = data.get("timeout", DEFAULT_TIMEOUT)
    try:
        limit = duration_upper_bound(timeout)
    except ValueError:
        return
    if limit.total_seconds() <= 0:
        return  # the timeout itself is reported
    for node_id, node, kind in _typed_nodes(data):
        for field, value in kind.waits(node):
            try:
                too_long = isinstance(value, str) and duration_upper_bound(value) > limit
            except ValueError:
                continue
            if too_long:
                message = f"{value} is longer than the journey timeout {timeout}"
                yield Problem(path=_node_path(node_id, field), message=message)


def _reference_problems(data: Mapping[str, Any]) -> Iterator[Problem]:
    """What nodes name besides their targets: e.g. reactions to nodes that are not
    messages, jumps to the journey itself."""
    graph = Graph(journey_id=data.get("id"), ids=set(_node_ids(data)), nodes=_raw_nodes(data))
    for node_id, node, kind in _typed_nodes(data):
        for field, message in kind.references(node, graph):
            yield Problem(path=_node_path(node_id, *field), message=message)


def _keyed_problems(data: Mapping[str, Any]) -> Iterator[Problem]:
    """A keyed journey cannot await `message.*` events: a reaction names the message, not
    the key, so the router would deliver it to none of the instances (decision 13)."""
    entry = data.get("entry")
    if not isinstance(entry, Mapping) or entry.get("key") is None:
        return
    for node_id, node in _raw_nodes(data).items():
        if node.get("type") != "wait_for_event":
            continue
        if node.get("reaction") is not None:
            field, name = "reaction", "a reaction"
        elif isinstance(node.get("event"), str) and node["event"].startswith("message."):
            field, name = "event", f"{node['event']!r}"
        else:
            continue
        message = f"{name} carries no entry.key, so a keyed journey cannot wait for it"
        yield Problem(path=_node_path(node_id, field), message=message)


def _catalog_problems(data: Mapping[str, Any], catalogs: Catalogs) -> Iterator[Problem]:
    """Message nodes naming a channel or template that does not exist."""
    for node_id, node, kind in _typed_nodes(data):
        for field, message in kind.catalog_problems(node, catalogs):
            yield Problem(path=_node_path(node_id, *field), message=message)


def _resource_problems(data: Mapping[str, Any], catalogs: Catalogs) -> Iterator[Problem]:
    """Action, fetch, jump and decide nodes naming a resource that is unknown."""
    for node_id, node, kind in _typed_nodes(data):
        for field, message in kind.resource_problems(node, catalogs):
            yield Problem(path=_node_path(node_id, *field), message=message)
