"""`jump`: enter the profile into another journey (`JumpToJourney`); then go on, or end this
journey completed. A failed jump still moves on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import Field, model_validator

from journeys.fields import JourneyRef, NodeRef, field_error
from journeys.nodes.base import Finding, Graph, NodeModel, NodeType, Raw, Resource, position
from journeys.nodes.context import StepContext
from journeys.nodes.errors import FieldPath
from journeys.nodes.values import short
from journeys.runtime import Command, Input, JourneyState, Jumped, JumpToJourney


class JumpNode(NodeModel):
    """Enter the profile into another journey; optionally end this one."""

    type: Literal["jump"]
    journey: JourneyRef = Field(description="Id of the journey to enter.")
    end: bool = Field(default=False, description="End this journey (completed) after the jump.")
    next: NodeRef | None = Field(
        default=None, description="Node to go to after the jump; required iff end is false."
    )

    @model_validator(mode="after")
    def _next_iff_not_end(self) -> JumpNode:
        if not self.end and self.next is None:
            raise field_error("next", "required unless end is true")
        if self.end and self.next is not None:
            raise field_error("next", "not allowed when end is true")
        return self


class JumpType(NodeType[JumpNode]):
    model = JumpNode
    resource = Resource("journey", "journeys", "journey")

    def edges(self, raw: Raw) -> list[FieldPath]:
        return [("next",)]

    def references(self, raw: Raw, graph: Graph) -> Iterator[Finding]:
        if graph.journey_id is not None and raw.get("journey") == graph.journey_id:
            yield ("journey",), "a journey cannot jump to itself"

    def command(self, node: JumpNode, state: JourneyState) -> Command | None:
        node_id, visit = position(state)
        return JumpToJourney(node=node_id, journey=node.journey, visit=visit)

    def on_result(self, node: JumpNode, ctx: StepContext, inp: Input) -> str | None:
        if not isinstance(inp, Jumped):
            return None
        if inp.ok:
            outcome = f"jumped to {node.journey}"
        else:
            outcome = f"jump to {node.journey} failed: {short(inp.error, 'failed')}"
        ctx.leave(outcome)
        if node.end:
            ctx.finish("completed", outcome)
            return None
        return node.next
