"""`split`: send profiles down weighted paths (A/B split), deterministically; never blocks.

The path is the sha256 bucket of `journey_id|profile_id|node_id`, so a profile lands on
the same path on replay and re-entry; a non-sticky split adds `|seed|visit`, the seed of
`step` (the driver derives it from the entry run).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from journeys.fields import BranchName, DefinitionModel, NodeRef, Weight, check_weights
from journeys.nodes.base import NodeModel, NodeType, Raw, count
from journeys.nodes.buckets import bucket, bucket_check
from journeys.nodes.context import StepContext
from journeys.nodes.errors import FieldPath


class SplitPath(DefinitionModel):
    """One path of a split, taken by `weight` percent of the profiles."""

    name: BranchName = Field(description="Name of the path, for reports (unique in the node).")
    weight: Weight = Field(
        description="Percentage of profiles (integer); the node's add up to 100."
    )
    next: NodeRef = Field(description="Node to go to on this path.")


class SplitNode(NodeModel):
    """Send profiles down weighted paths (A/B split), deterministically; never blocks."""

    type: Literal["split"]
    paths: list[SplitPath] = Field(
        min_length=1, description="The paths; weights are integers adding up to 100."
    )
    sticky: bool = Field(
        default=True,
        description="true: a profile always takes the same path here (hash of journey, "
        "profile and node); false: drawn again on every entry and every visit.",
    )

    @model_validator(mode="after")
    def _weights(self) -> SplitNode:
        check_weights("paths", [p.weight for p in self.paths], [p.name for p in self.paths])
        return self


class SplitType(NodeType[SplitNode]):
    model = SplitNode

    def edges(self, raw: Raw) -> list[FieldPath]:
        return [("paths", i, "next") for i in range(count(raw, "paths"))]

    def act(self, node: SplitNode, ctx: StepContext) -> str | None:
        state = ctx.state
        key = f"{state.journey_id}|{state.profile_id}|{ctx.node_id}"
        if not node.sticky:
            key += f"|{ctx.seed}|{ctx.visit}"
        weights = [p.weight for p in node.paths]
        path = node.paths[bucket(key, weights)]
        ctx.leave(f"path {path.name}", checks=[bucket_check(key, weights)])
        return path.next
