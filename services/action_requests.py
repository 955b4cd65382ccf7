"""What a custom action or data-source call sends, and what of its answer is kept.

Pure: the worker's call (activities/actions.py) and test mode (services/testrun.py)
render the same request from the same spec, and keep the same response fields.
"""

from __future__ import annotations

import json
from typing import Any

from core.connectors import HttpSpec
from journeys.expressions import ExpressionError, compile_template


class CallFailed(Exception):
    """A final failure: recorded, and answered as ok=False."""


def pick(data: Any, fields: list[str] | None) -> dict[str, Any]:
    """Only the allowed response fields reach `vars` (dotted paths keep their nesting)."""
    if not isinstance(data, dict):
        data = {"value": data}
    if fields is None:
        return data
    out: dict[str, Any] = {}
    for path in fields:
        value: Any = data
        for part in path.split("."):
            if not isinstance(value, dict) or part not in value:
                break
            value = value[part]
        else:
            target = out
            *parents, leaf = path.split(".")
            for part in parents:
                target = target.setdefault(part, {})
            target[leaf] = value
    return out


def render_request(spec: HttpSpec, method: str, params: dict[str, Any]) -> dict[str, Any]:
    """The concrete request: URL, headers and JSON body rendered from `params`."""
    ctx = {"params": params}
    try:
        url = compile_template(spec.url).render(ctx)
        headers = {k: compile_template(v).render(ctx) for k, v in spec.headers.items()}
        body = getattr(spec, "body", None)
        payload = json.loads(compile_template(body).render(ctx)) if body else None
    except ExpressionError as exc:
        raise CallFailed(f"cannot render the request: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise CallFailed(f"the body template did not give JSON: {exc}") from exc
    return {"method": method, "url": url, "headers": headers, "json": payload}
