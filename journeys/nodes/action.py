"""`action`: call a custom action (an HTTP endpoint, on its own task queue when rate-limited)
with rendered params; its response lands in `vars.<node id>`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import Field

from journeys.fields import PARAMS_DESCRIPTION, ActionName, NodeRef, Params
from journeys.nodes.base import NodeModel, NodeType, Raw, Resource
from journeys.nodes.calls import call_done, param_templates, pending_call, prepare_params
from journeys.nodes.context import StepContext
from journeys.nodes.errors import FieldPath
from journeys.runtime import CallAction, Command, Input, JourneyState, LoadProfile


class ActionNode(NodeModel):
    """Call a custom action (e.g. an HTTP endpoint); its response lands in `vars.<node id>`."""

    type: Literal["action"]
    action: ActionName = Field(description="Name of a published action resource.")
    params: Params = Field(default_factory=dict, description=PARAMS_DESCRIPTION)
    next: NodeRef = Field(description="Node to go to when the action succeeded.")
    on_error: NodeRef | None = Field(
        default=None,
        description="Node to go to when the action failed (`vars.<node id>.error` says why); "
        "without it a failure ends the journey errored.",
    )


class ActionType(NodeType[ActionNode]):
    model = ActionNode
    resource = Resource("action", "actions", "action")
    resumes = True  # it rests here while a profile its params read is reloaded

    def edges(self, raw: Raw) -> list[FieldPath]:
        return [("next",), ("on_error",)]

    def templates(self, raw: Raw) -> Iterator[tuple[FieldPath, str]]:
        return param_templates(raw)

    def act(self, node: ActionNode, ctx: StepContext) -> str | None:
        prepare_params(node.params, ctx)
        return None  # CallAction is pending (or LoadProfile)

    def command(self, node: ActionNode, state: JourneyState) -> Command | None:
        call = pending_call(state)
        if call is None:
            return LoadProfile()
        visit = state.visits.get(call.node, 1)
        return CallAction(node=call.node, action=node.action, params=call.params, visit=visit)

    def on_result(self, node: ActionNode, ctx: StepContext, inp: Input) -> str | None:
        return call_done(ctx, inp, node.next, node.on_error)
