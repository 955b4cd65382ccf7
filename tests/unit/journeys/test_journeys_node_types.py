"""The table of node types is the one place a node type is registered: the definition's
`Node` union, `NODE_TYPES`, the validator and the interpreter all follow it."""

from __future__ import annotations

import typing

from journeys.model import NODE_TYPES, JourneyDefinition
from journeys.nodes import NODE_KINDS
from journeys.validate import validate


def test_the_union_is_the_table_in_order() -> None:
    annotation = JourneyDefinition.model_fields["nodes"].annotation
    union = typing.get_args(annotation)[1]  # dict[NodeId, Node]
    members = typing.get_args(typing.get_args(union)[0])  # Annotated[Union[...], Field]
    assert members == tuple(kind.model for kind in NODE_KINDS.values())
    assert tuple(NODE_KINDS) == NODE_TYPES


def test_an_unknown_type_names_every_registered_one() -> None:
    problems = validate(
        {
            "id": "j",
            "name": "J",
            "entry": {"event": "e"},
            "start": "a",
            "nodes": {"a": {"type": "x"}},
        }
    )
    assert [p.path for p in problems] == ["nodes.a.type"]
    assert problems[0].message == f"unknown node type 'x'; expected one of {', '.join(NODE_KINDS)}"
