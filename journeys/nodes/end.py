"""`end`: the journey completes here."""

from __future__ import annotations

from typing import Literal

from journeys.nodes.base import NodeModel, NodeType
from journeys.nodes.context import StepContext


class EndNode(NodeModel):
    """The journey completes here."""

    type: Literal["end"]


class EndType(NodeType[EndNode]):
    model = EndNode

    def act(self, node: EndNode, ctx: StepContext) -> str | None:
        ctx.finish("completed", None)
        return None
