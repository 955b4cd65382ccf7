"""The `decide('placement')` template helper: the content of the offer a journey's `decide`
node chose for a placement (a proposition kept in `vars.<node id>`).

Pure: it reads what the node decided, it never decides (a render does no I/O). The latest
`decide` node that proposed for the placement wins; nothing decided renders as `""`, so
`{% if decide('email-hero') %}` guards a block. An HTML placement's content is an HTML
fragment written in the catalog, as trusted as a template: it is not escaped again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup


def decided_content(variables: Mapping[str, Any], placement: str, index: int = 0) -> Any:
    """The `index`-th offer's content for `placement` among the propositions in `variables`."""
    found: list[Any] = []
    for value in variables.values():
        if isinstance(value, Mapping) and "proposition_id" in value:
            offers = value.get("offers") or []
            found = [_content(o) for o in offers if o.get("placement") == placement] or found
    return found[index] if -len(found) <= index < len(found) else ""


def _content(offer: Mapping[str, Any]) -> Any:
    content = offer.get("content")
    if offer.get("content_type") == "html" and isinstance(content, str):
        return Markup(content)
    return content


@pass_context
def decide(context: Context, placement: str, index: int = 0) -> Any:
    """`decide('email-hero')`: the content of the offer a `decide` node chose for a placement."""
    variables = context.get("vars")
    return decided_content(variables if isinstance(variables, Mapping) else {}, placement, index)
