"""What expressions and templates may name, for the designer's completion: the context
roots with their fields, the helpers, the filters and the tests.

Read from the sandbox's own tables (`journeys.expressions.sandbox_names`) and from the
records the context is built of, so a helper added to the sandbox is listed without
anything else changing; only the roots' one-line docs are written here, and a root without
one fails at import.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from journeys.expressions import CONTEXT_NAMES, sandbox_names
from journeys.records import Event, Profile
from journeys.sandbox import RESERVED_PREFIX

RECEIVED = "received"  # only in the `when` of a wait_for_event (journeys/nodes/context.py)
_ROOT_DOCS = {
    "profile": "The profile in the journey, as last loaded.",
    "event": "The event that entered the profile.",
    "events": "The last event received by name, e.g. events['order.completed'].",
    "journey": "The journey: its id, version and name.",
    "vars": "What nodes produced, by node id: an action's response, a fetch's data, a "
    "decide's proposition.",
    "now": "The current time, timezone-aware (the virtual clock in test mode).",
    RECEIVED: "Only in the when of a wait_for_event: the event received.",
}
_EVENT_FIELDS = tuple(Event.model_fields)
_FIELDS: dict[str, tuple[str, ...]] = {
    "profile": (*Profile.model_fields, "locale"),
    "event": _EVENT_FIELDS,
    RECEIVED: _EVENT_FIELDS,
    "journey": ("id", "version", "name"),  # journeys.nodes.context builds it
}
_OWN_DOCS = {  # Jinja's own globals whose docstrings say little to a marketer
    "range": "range(stop) or range(start, stop[, step]): a list of numbers (bounded).",
    "dict": "dict(key=value, ...): a new mapping.",
}


@dataclass(frozen=True)
class Name:
    """A name expressions may use, its one-line doc and, for a callable, how to call it."""

    name: str
    doc: str
    signature: str | None = None


@dataclass(frozen=True)
class Root:
    """A top-level name of the context and the fields it is known to have."""

    name: str
    doc: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class Vocabulary:
    roots: tuple[Root, ...]
    helpers: tuple[Name, ...]
    filters: tuple[Name, ...]
    tests: tuple[Name, ...]


@cache
def vocabulary() -> Vocabulary:
    """Everything completion offers, each list sorted by name."""
    helpers, filters, tests = sandbox_names()
    return Vocabulary(
        roots=tuple(_root(name) for name in sorted(CONTEXT_NAMES | {RECEIVED})),
        helpers=tuple(_names(helpers, skip=0)),
        filters=tuple(_names(filters, skip=1)),
        tests=tuple(_names(tests, skip=1)),
    )


def _root(name: str) -> Root:
    return Root(name=name, doc=_ROOT_DOCS[name], fields=_FIELDS.get(name, ()))


def _names(table: Mapping[str, Any], skip: int) -> Iterator[Name]:
    """The public entries of a table (not the internals, not the operator aliases of the
    tests such as `==`); `skip` leading parameters are the value filtered or tested."""
    for name in sorted(table):
        if name.isidentifier() and not name.startswith(RESERVED_PREFIX):
            func = table[name]
            doc = _OWN_DOCS.get(name) or one_line(inspect.getdoc(func))
            yield Name(name=name, doc=doc, signature=signature(name, func, skip))


def one_line(doc: str | None) -> str:
    """The first sentence of a docstring, reStructuredText literals as plain backquotes."""
    paragraph = " ".join((doc or "").split("\n\n")[0].split())
    sentence = re.split(r"(?<=[.:])\s(?=[A-Z])", paragraph)[0].rstrip(":")
    sentence = re.sub(r":\w+:`", "`", sentence.replace("``", "`"))  # :func:`sorted`
    return re.sub(r"`_\b", "`", sentence)  # `printf-style`_ links


def signature(name: str, func: Callable[..., Any], skip: int) -> str | None:
    """`days(n)`, `truncate(length=255, ...)`: the parameters a writer gives, if known."""
    try:
        params = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        return None
    if hasattr(func, "jinja_pass_arg"):
        params = params[1:]  # the context or environment Jinja passes itself
    shown = [p.replace(annotation=inspect.Parameter.empty) for p in params[skip:]]
    return f"{name}({', '.join(str(p) for p in shown)})"
