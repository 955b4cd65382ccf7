"""`decide`: ask a decision policy for the profile's offers (`Decide`); the proposition lands
in `vars.<node id>` (`offers[i].content`, `proposition_id`), where templates read it, also
through the `decide('placement')` helper."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from journeys.fields import DecisionId, NodeRef
from journeys.nodes.base import NodeModel, NodeType, Raw, Resource, position
from journeys.nodes.context import StepContext
from journeys.nodes.errors import FieldPath, NodeError
from journeys.nodes.values import short
from journeys.runtime import ActionDone, Command, Decide, Input, JourneyState


def undecided(decision: str) -> dict[str, object]:
    """What a dry run or a test run keeps for a `decide` node: no offers, nothing recorded."""
    return {"proposition_id": None, "decision": decision, "offers": [], "fallback": False}


class DecideNode(NodeModel):
    """Decide the offers for the profile; the proposition lands in `vars.<node id>`."""

    type: Literal["decide"]
    decision: DecisionId = Field(description="Id of the decision policy.")
    next: NodeRef = Field(description="Node to go to once decided (offers may be empty).")
    on_error: NodeRef | None = Field(
        default=None,
        description="Node to go to when deciding failed (`vars.<node id>.error` says why); "
        "without it a failure ends the journey errored.",
    )


class DecideType(NodeType[DecideNode]):
    model = DecideNode
    resource = Resource("decision", "decisions", "decision policy")

    def edges(self, raw: Raw) -> list[FieldPath]:
        return [("next",), ("on_error",)]

    def command(self, node: DecideNode, state: JourneyState) -> Command | None:
        node_id, visit = position(state)
        return Decide(node=node_id, decision=node.decision, visit=visit)

    def on_result(self, node: DecideNode, ctx: StepContext, inp: Input) -> str | None:
        if not isinstance(inp, ActionDone) or inp.node != ctx.node_id:
            return None
        if inp.ok:
            ctx.state.vars[inp.node] = inp.response or {}
            ctx.leave(f"decided by {node.decision}")
            return node.next
        error = short(inp.error, "failed")
        if node.on_error is None:
            raise NodeError((), error)
        ctx.state.vars[inp.node] = {"error": error}
        ctx.leave(f"error: {error}")
        return node.on_error
