"""`experiment`: assign the profile to a variant (or the holdout), record the assignment in
the ledger (`RecordAssignment`), go on. The variant is the sha256 bucket of
`journey_id|profile_id|node_id`: stable per profile, on replay and on re-entry.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from journeys.fields import BranchName, DefinitionModel, NodeRef, Weight, check_weights, field_error
from journeys.nodes.base import NodeModel, NodeType, Raw, count, position
from journeys.nodes.buckets import bucket, bucket_check
from journeys.nodes.context import StepContext
from journeys.nodes.errors import FieldPath
from journeys.runtime import AssignmentRecorded, Command, Input, JourneyState, RecordAssignment


class Variant(DefinitionModel):
    """One variant of an experiment."""

    name: BranchName = Field(description="Variant name, recorded in the assignment ledger.")
    weight: Weight = Field(description="Percentage of profiles (integer).")
    next: NodeRef = Field(description="Node to go to for this variant.")


class Holdout(DefinitionModel):
    """The holdout (control) group of an experiment."""

    weight: Weight = Field(description="Percentage of profiles (integer).")
    next: NodeRef = Field(description="Node to go to for the holdout group.")


HOLDOUT = "holdout"  # the variant name recorded for the holdout group


class ExperimentNode(NodeModel):
    """Assign the profile to a variant (stable per profile), record it, go on."""

    type: Literal["experiment"]
    variants: list[Variant] = Field(
        min_length=1,
        description="The variants; their weights plus the holdout's add up to 100.",
    )
    holdout: Holdout | None = Field(
        default=None,
        description='Optional holdout group, recorded as variant "holdout".',
    )

    @model_validator(mode="after")
    def _weights(self) -> ExperimentNode:
        names = [v.name for v in self.variants]
        if self.holdout is not None and HOLDOUT in names:
            raise field_error("variants", f"{HOLDOUT!r} is reserved for the holdout group")
        weights = [v.weight for v in self.variants]
        if self.holdout is not None:
            weights.append(self.holdout.weight)
        check_weights("variants", weights, names)
        return self


def experiment_variant(
    journey_id: str, profile_id: str, node_id: str, node: ExperimentNode
) -> tuple[str, str]:
    """(variant name or "holdout", next node) of a profile: stable per profile."""
    options = [(v.name, v.weight, v.next) for v in node.variants]
    if node.holdout is not None:
        options.append((HOLDOUT, node.holdout.weight, node.holdout.next))
    index = bucket(f"{journey_id}|{profile_id}|{node_id}", [w for _, w, _ in options])
    name, _, target = options[index]
    return name, target


class ExperimentType(NodeType[ExperimentNode]):
    model = ExperimentNode

    def edges(self, raw: Raw) -> list[FieldPath]:
        paths: list[FieldPath] = [("variants", i, "next") for i in range(count(raw, "variants"))]
        return [*paths, ("holdout", "next")]

    def command(self, node: ExperimentNode, state: JourneyState) -> Command | None:
        node_id, visit = position(state)
        variant, _ = experiment_variant(state.journey_id, state.profile_id, node_id, node)
        return RecordAssignment(node=node_id, experiment=node_id, variant=variant, visit=visit)

    def on_result(self, node: ExperimentNode, ctx: StepContext, inp: Input) -> str | None:
        if not isinstance(inp, AssignmentRecorded):
            return None
        state = ctx.state
        variant, target = experiment_variant(state.journey_id, state.profile_id, inp.node, node)
        weights = [v.weight for v in node.variants]
        if node.holdout is not None:
            weights.append(node.holdout.weight)
        key = f"{state.journey_id}|{state.profile_id}|{inp.node}"
        ctx.leave(f"variant {variant}", checks=[bucket_check(key, weights)])
        return target
