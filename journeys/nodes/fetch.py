"""`fetch`: read data from a data source with rendered params; the result lands in
`vars.<node id>`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import Field

from journeys.fields import PARAMS_DESCRIPTION, DataSourceName, NodeRef, Params
from journeys.nodes.base import NodeModel, NodeType, Raw, Resource
from journeys.nodes.calls import call_done, param_templates, pending_call, prepare_params
from journeys.nodes.context import StepContext
from journeys.nodes.errors import FieldPath
from journeys.runtime import Command, FetchData, Input, JourneyState, LoadProfile


class FetchNode(NodeModel):
    """Read data from a data source; the result lands in `vars.<node id>`."""

    type: Literal["fetch"]
    source: DataSourceName = Field(description="Name of a published data source resource.")
    params: Params = Field(default_factory=dict, description=PARAMS_DESCRIPTION)
    next: NodeRef = Field(description="Node to go to when the data was read.")
    on_error: NodeRef | None = Field(
        default=None,
        description="Node to go to when the read failed (`vars.<node id>.error` says why); "
        "without it a failure ends the journey errored.",
    )


class FetchType(NodeType[FetchNode]):
    model = FetchNode
    resource = Resource("source", "sources", "data source")
    resumes = True  # it rests here while a profile its params read is reloaded

    def edges(self, raw: Raw) -> list[FieldPath]:
        return [("next",), ("on_error",)]

    def templates(self, raw: Raw) -> Iterator[tuple[FieldPath, str]]:
        return param_templates(raw)

    def act(self, node: FetchNode, ctx: StepContext) -> str | None:
        prepare_params(node.params, ctx)
        return None  # FetchData is pending (or LoadProfile)

    def command(self, node: FetchNode, state: JourneyState) -> Command | None:
        call = pending_call(state)
        if call is None:
            return LoadProfile()
        visit = state.visits.get(call.node, 1)
        return FetchData(node=call.node, source=node.source, params=call.params, visit=visit)

    def on_result(self, node: FetchNode, ctx: StepContext, inp: Input) -> str | None:
        return call_done(ctx, inp, node.next, node.on_error)
