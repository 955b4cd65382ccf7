"""The node types of the journey language, one module each, and the table naming them.

A node type's module holds its model (part of the `Node` union of `journeys.model` and of
the JSON Schema), the checks the validator runs on it, and what it does in a run (entry,
the command it waits on, its timer, the result of its command). Adding a node type is a
new module here plus one line in `NODE_KINDS`; the order of the table is the order of the
union (and of the JSON Schema's `oneOf`), so new types go last.
"""

from __future__ import annotations

from typing import Any

from journeys.nodes.action import ActionType
from journeys.nodes.base import NodeType
from journeys.nodes.condition import ConditionType
from journeys.nodes.decide import DecideType
from journeys.nodes.end import EndType
from journeys.nodes.experiment import ExperimentType
from journeys.nodes.fetch import FetchType
from journeys.nodes.jump import JumpType
from journeys.nodes.message import MessageType
from journeys.nodes.split import SplitType
from journeys.nodes.update_profile import UpdateProfileType
from journeys.nodes.wait import WaitType
from journeys.nodes.wait_for_event import WaitForEventType

NODE_KINDS: dict[str, NodeType[Any]] = {
    kind.name: kind
    for kind in (
        MessageType(),
        WaitType(),
        ConditionType(),
        WaitForEventType(),
        EndType(),
        SplitType(),
        ExperimentType(),
        ActionType(),
        FetchType(),
        UpdateProfileType(),
        JumpType(),
        DecideType(),
    )
}
