"""The `decide('placement')` template helper: the content of the offer a journey's `decide`
node chose for a placement (a proposition kept in `vars.<node id>`).

Pure: it reads what the node decided, it never decides (a render does no I/O). The latest
`decide` node that proposed for the placement wins; nothing decided renders as `""`, so
`{% if decide('email-hero') %}` guards a block. An HTML placement's content is an HTML
fragment written in the catalog, as trusted as a template: it is not escaped again.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from html import unescape
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

_HREF = re.compile(r"""\bhref\s*=\s*(["'])(https?://[^"']+)\1""", re.IGNORECASE)


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


@dataclass(frozen=True)
class ShownOffer:
    """A decided offer whose content a rendered message holds: opening the message is an
    impression of it, and following one of `links` (the URLs in its content) a click on it."""

    proposition_id: str
    offer_id: str
    links: frozenset[str]


def shown_offers(html: str, variables: Mapping[str, Any]) -> list[ShownOffer]:
    """The offers of the propositions in `variables` that `html` shows. An offer counts as
    shown when its content is in the HTML as `decide()` puts it there (verbatim for an HTML
    fragment, escaped otherwise), so a proposition a template never rendered is not an
    impression."""
    found: dict[tuple[str, str], ShownOffer] = {}
    for pid, offer, content in _decided(variables):
        if content and (content in html or str(escape(content)) in html):
            links = {unescape(m.group(2)) for m in _HREF.finditer(content)}
            if re.fullmatch(r"https?://\S+", content):
                links.add(content)
            found.setdefault((pid, offer), ShownOffer(pid, offer, frozenset(links)))
    return list(found.values())


def _decided(variables: Mapping[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(proposition id, offer id, content as text) of every decided offer in `variables`."""
    for value in variables.values():
        if isinstance(value, Mapping) and isinstance(value.get("proposition_id"), str):
            for offer in value.get("offers") or []:
                if not isinstance(offer, Mapping):
                    continue
                offer_id, content = offer.get("offer_id"), offer.get("content")
                if isinstance(offer_id, str) and isinstance(content, str):
                    yield value["proposition_id"], offer_id, content
