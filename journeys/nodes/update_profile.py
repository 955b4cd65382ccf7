"""`update_profile`: set or increment profile attributes (values are Jinja2 expressions,
evaluated once the profile is fresh enough), then go on with the profile as stored."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Literal

from pydantic import Field, model_validator

from journeys.expressions import CONTEXT_NAMES
from journeys.fields import AttributeName, NodeRef, ValueExpressionStr, field_error
from journeys.nodes.base import Expression, NodeModel, NodeType, Raw
from journeys.nodes.calls import pending_call
from journeys.nodes.context import StepContext
from journeys.nodes.errors import FieldPath
from journeys.nodes.values import number, plain
from journeys.runtime import (
    Command,
    Input,
    JourneyState,
    LoadProfile,
    PendingCall,
    ProfileUpdated,
    UpdateProfile,
)


class UpdateProfileNode(NodeModel):
    """Set or increment profile attributes, then go on with the updated profile."""

    type: Literal["update_profile"]
    set: dict[AttributeName, ValueExpressionStr] = Field(
        default_factory=dict,
        description="Attribute → Jinja2 expression of its new value, e.g. "
        '{tier: "\'gold\'", last_order: "event.properties.order_id"}; '
        "a number or boolean is taken as it is.",
    )
    increment: dict[AttributeName, ValueExpressionStr] = Field(
        default_factory=dict,
        description="Attribute → Jinja2 expression of a number to add, e.g. {nudges: 1}.",
    )
    next: NodeRef = Field(description="Node to go to once the profile is updated.")

    @model_validator(mode="after")
    def _something(self) -> UpdateProfileNode:
        if not self.set and not self.increment:
            raise field_error("set", "give set or increment (or both)")
        both = sorted(set(self.set) & set(self.increment))
        if both:
            raise field_error("increment", f"also in set: {', '.join(both)}")
        return self


class UpdateProfileType(NodeType[UpdateProfileNode]):
    model = UpdateProfileNode
    resumes = True  # it rests here while a profile its values read is reloaded

    def edges(self, raw: Raw) -> list[FieldPath]:
        return [("next",)]

    def expressions(self, raw: Raw) -> Iterator[Expression]:
        for field in ("set", "increment"):
            values = raw.get(field)
            if isinstance(values, Mapping):
                for attr, source in values.items():
                    yield (field, str(attr)), source, CONTEXT_NAMES

    def act(self, node: UpdateProfileNode, ctx: StepContext) -> str | None:
        """Evaluate the values into `state.call`, once the profile is fresh enough."""
        if ctx.needs_profile([*node.set.values(), *node.increment.values()]):
            return None  # LoadProfile first
        values = {
            attr: plain(ctx.evaluate(source, ("set", attr)), ("set", attr))
            for attr, source in node.set.items()
        }
        increments = {
            attr: number(ctx.evaluate(source, ("increment", attr)), ("increment", attr))
            for attr, source in node.increment.items()
        }
        ctx.state.call = PendingCall(node=ctx.node_id, set=values, increment=increments)
        return None  # UpdateProfile is pending

    def command(self, node: UpdateProfileNode, state: JourneyState) -> Command | None:
        call = pending_call(state)
        if call is None:
            return LoadProfile()
        visit = state.visits.get(call.node, 1)
        return UpdateProfile(node=call.node, set=call.set, increment=call.increment, visit=visit)

    def on_result(self, node: UpdateProfileNode, ctx: StepContext, inp: Input) -> str | None:
        state = ctx.state
        if not isinstance(inp, ProfileUpdated) or state.call is None:
            return None
        if inp.profile.profile_id != state.profile_id:
            return None
        state.call = None
        state.profile, state.profile_stale = inp.profile, False
        ctx.leave("updated")
        return node.next
