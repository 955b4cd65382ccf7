"""What the nodes that call out (action, fetch) share: params rendered as Jinja2 templates
into `state.call` once the profile is fresh enough, and the response kept in
`vars.<node id>` (or the error, when the node has an `on_error`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping

from journeys.fields import Params
from journeys.nodes.base import Raw
from journeys.nodes.context import StepContext
from journeys.nodes.errors import FieldPath, NodeError
from journeys.nodes.values import short
from journeys.runtime import (
    PARAMS_LIMIT,
    RESPONSE_LIMIT,
    ActionDone,
    Input,
    JourneyState,
    PendingCall,
)


def pending_call(state: JourneyState) -> PendingCall | None:
    """The evaluated call of the current node, once it is ready to go out."""
    call = state.call
    return call if call is not None and call.node == state.node else None


def param_templates(raw: Raw) -> Iterator[tuple[FieldPath, str]]:
    """The string params of a raw node: Jinja2 templates that must compile."""
    params = raw.get("params")
    if isinstance(params, Mapping):
        for key, source in params.items():
            if isinstance(source, str):
                yield ("params", str(key)), source


def prepare_params(params: Params, ctx: StepContext) -> None:
    """Render the params into `state.call`, unless a template needs a fresh profile first."""
    templates = [value for value in params.values() if isinstance(value, str)]
    if ctx.needs_profile(templates, template=True):
        return  # LoadProfile first
    rendered, size = {}, 0
    for key, value in params.items():
        if isinstance(value, str):
            value = ctx.render(value, ("params", key))
            size += len(value)
            if size > PARAMS_LIMIT:
                raise NodeError(("params",), f"rendered params exceed {PARAMS_LIMIT:,} characters")
        rendered[key] = value
    ctx.state.call = PendingCall(node=ctx.node_id, params=rendered)


def call_done(ctx: StepContext, inp: Input, next: str, on_error: str | None) -> str | None:
    """The call's answer: keep the response (or the error) in vars; the node to go to."""
    state = ctx.state
    if not isinstance(inp, ActionDone) or state.call is None:
        return None
    state.call = None
    ok, error = inp.ok, inp.error
    response = inp.response if inp.response is not None else {}
    if ok and _response_size(response) > RESPONSE_LIMIT:
        ok, error = False, f"response too large (limit {RESPONSE_LIMIT:,} characters as JSON)"
    if ok:
        state.vars[inp.node] = response
        ctx.leave("ok")
        return next
    error = short(error, "failed")
    if on_error is None:
        raise NodeError((), error)
    state.vars[inp.node] = {"error": error}
    ctx.leave(f"error: {error}")
    return on_error


def _response_size(response: dict[str, object]) -> int:
    try:
        return len(json.dumps(response, default=str, separators=(",", ":")))
    except (TypeError, ValueError):
        return RESPONSE_LIMIT + 1
