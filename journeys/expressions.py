"""Expressions and message templates: Jinja2 in a guarded sandbox (architecture decision 4).

One syntax for conditions (`event.properties.total > 100 and profile.attributes.plan ==
"pro"`) and for messages (`Hello {{ profile.attributes.first_name }}`). Undefined names
and attributes are errors, never silently empty. Compilation is cached by source text:
it is pure, and a running journey evaluates the same few expressions over and over.

Context names (see `build_context`): `profile` (with `profile.locale`), `event` (the entry
event), `events` (last event received by name: `events['order.completed']`), `journey`,
`vars`, `now`; plus `received` inside a `wait_for_event` `when`. Helpers:
`duration('P2D')`, `parse_datetime('2024-05-01T09:00:00Z')`, `days(n)`, `hours(n)`,
`minutes(n)`.
Mind Jinja's lookup order: `a.b` tries the attribute before the key, so a property named
like a dict method (`items`, `keys`) must be written `event.properties['items']`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import isodate
from jinja2 import TemplateSyntaxError, meta, nodes
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.parser import Parser
from jinja2.runtime import Undefined

from journeys.decided import decide
from journeys.durations import parse_duration
from journeys.includes import includes_in, inline_includes
from journeys.records import Event, Profile
from journeys.sandbox import (
    MAX_OUTPUT,
    ExpressionError,
    LimitError,
    SafeEnvironment,
    bounded_list,
    budget_scope,
    check_length,
    guard_tree,
)

__all__ = [
    "CONTEXT_NAMES",
    "Expression",
    "ExpressionError",
    "LimitError",
    "Template",
    "build_context",
    "compile_expression",
    "compile_template",
    "included_fragments",
    "referenced_names",
    "template_names",
]

MAX_EXPRESSION_SOURCE = 10_000
MAX_TEMPLATE_SOURCE = 1_000_000
CONTEXT_NAMES = frozenset({"profile", "event", "events", "journey", "vars", "now"})


def aware(moment: datetime) -> datetime:
    """Datetimes in expressions are timezone-aware; a naive one is taken as UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def duration(text: str) -> isodate.Duration | timedelta:
    """`now + duration('P1M')`: calendar-aware for months and years."""
    return parse_duration(text)


def parse_datetime(text: str | datetime) -> datetime:
    """An ISO 8601 date or datetime string (`Z` allowed) as an aware datetime."""
    if isinstance(text, datetime):
        return aware(text)
    return aware(datetime.fromisoformat(str(text)))


def days(n: float) -> timedelta:
    """`now + days(2)`: shorter to write than `duration('P2D')`, and takes numbers."""
    return timedelta(days=n)


def hours(n: float) -> timedelta:
    """`event.timestamp + hours(3)`."""
    return timedelta(hours=n)


def minutes(n: float) -> timedelta:
    """`now + minutes(15)`."""
    return timedelta(minutes=n)


HELPERS: dict[str, Any] = {
    "duration": duration,
    "parse_datetime": parse_datetime,
    "days": days,
    "hours": hours,
    "minutes": minutes,
    "decide": decide,  # the content a `decide` node chose for a placement (journeys/decided.py)
}
_TEXT_ENV = SafeEnvironment(autoescape=False, helpers=HELPERS)
_HTML_ENV = SafeEnvironment(autoescape=True, helpers=HELPERS)


def sandbox_names() -> tuple[Mapping[str, Any], Mapping[str, Any], Mapping[str, Any]]:
    """The globals, filters and tests expressions may use: the sandbox's own tables, which
    `journeys.vocabulary` lists for the designer's completion (so the list cannot drift)."""
    return _TEXT_ENV.globals, _TEXT_ENV.filters, _TEXT_ENV.tests


def describe(exc: BaseException) -> str:
    """A one-line message for an error raised while compiling or evaluating."""
    if isinstance(exc, ExpressionError):
        return exc.message
    if isinstance(exc, TemplateSyntaxError):
        line = f" (line {exc.lineno})" if exc.lineno and exc.lineno > 1 else ""
        return f"syntax error: {exc.message}{line}"
    if isinstance(exc, SecurityError):
        return f"not allowed: {exc}"
    if isinstance(exc, UndefinedError):
        return str(exc.message)
    if isinstance(exc, RecursionError):
        return "too deeply nested or recursive"
    if isinstance(exc, MemoryError):
        return "out of memory"
    text = str(exc)
    if isinstance(exc, TypeError | ValueError | ArithmeticError) and text:
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _native(value: Any) -> Any:
    """An expression's value as plain data: undefined fails, lazy sequences are listed."""
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()
    if isinstance(value, Iterator):
        value = bounded_list(value)
    if isinstance(value, list | tuple):
        for item in value:
            if isinstance(item, Undefined):
                item._fail_with_undefined_error()
    return value


class Expression:
    """A compiled expression; `evaluate` returns a native Python value."""

    __slots__ = ("_template", "source")

    def __init__(self, source: str, template: Any) -> None:
        self.source = source
        self._template = template

    def evaluate(self, ctx: Mapping[str, Any]) -> Any:
        """Raises `ExpressionError` for undefined names, type errors and exceeded limits."""
        try:
            with budget_scope():
                context = self._template.new_context(dict(ctx))
                for _ in self._template.root_render_func(context):
                    pass
                return _native(context.vars["result"])
        except Exception as exc:
            raise ExpressionError(describe(exc)) from exc

    def __repr__(self) -> str:
        return f"Expression({self.source!r})"


class Template:
    """A compiled message template; `render` returns text (escaped if autoescape)."""

    __slots__ = ("_template", "source")

    def __init__(self, source: str, template: Any) -> None:
        self.source = source
        self._template = template

    def render(self, ctx: Mapping[str, Any]) -> str:
        """Raises `ExpressionError` like `Expression.evaluate`, or if the output is too big."""
        try:
            with budget_scope():
                context = self._template.new_context(dict(ctx))
                parts: list[str] = []
                size = 0
                for chunk in self._template.root_render_func(context):
                    size += len(chunk)
                    check_length(size, MAX_OUTPUT, "output")
                    parts.append(chunk)
                return "".join(parts)
        except Exception as exc:
            raise ExpressionError(describe(exc)) from exc

    def __repr__(self) -> str:
        return f"Template({self.source[:40]!r})"


def _expression_tree(src: str) -> nodes.Template:
    if not isinstance(src, str):
        raise ExpressionError(f"expected an expression string, got {type(src).__name__}")
    check_length(len(src), MAX_EXPRESSION_SOURCE, "expression")
    parser = Parser(_TEXT_ENV, src, state="variable")
    expr = parser.parse_expression()
    if not parser.stream.eos:
        token = parser.stream.current
        raise TemplateSyntaxError(f"unexpected {token.value!r} after the expression", token.lineno)
    tree = nodes.Template([nodes.Assign(nodes.Name("result", "store"), expr, lineno=1)], lineno=1)
    tree.set_environment(_TEXT_ENV)
    return tree


def _jinja(env: Any, tree: nodes.Template) -> Any:
    """The compiled template, its globals frozen into a plain dict.

    Jinja keeps them as a ChainMap over the environment's globals, which every render
    copies key by key through Python code (a third of a campaign email's render time);
    the helpers never change after start-up, so a dict copied once renders the same.
    """
    template = env.from_string(tree)
    template.globals = dict(template.globals)
    return template


@functools.lru_cache(maxsize=2048)
def compile_expression(src: str) -> Expression:
    """Compile an expression such as `event.properties.total > 100`; cached by source."""
    try:
        tree = guard_tree(_expression_tree(src))
        return Expression(src, _jinja(_TEXT_ENV, tree))
    except Exception as exc:
        raise ExpressionError(describe(exc)) from exc


Fragments = tuple[tuple[str, str], ...]
"""The fragment sources a render may include, as (name, source) pairs (hashable: cached)."""


@functools.lru_cache(maxsize=512)
def compile_template(
    src: str, autoescape: bool = False, fragments: Fragments = (), root: str | None = None
) -> Template:
    """Compile a message template; `autoescape=True` for HTML bodies. Cached by source.

    `{% include "name" %}` inlines the fragment of that name from `fragments`
    (journeys/includes.py); `root` is the fragment `src` is itself, so a cycle is named.
    """
    try:
        check_length(len(src), MAX_TEMPLATE_SOURCE, "template")
        env = _HTML_ENV if autoescape else _TEXT_ENV
        tree = env.parse(src)
        if fragments or root is not None or tree.find(nodes.Include) is not None:
            tree = inline_includes(tree, dict(fragments), env.parse, root)
        return Template(src, _jinja(env, guard_tree(tree)))
    except Exception as exc:
        raise ExpressionError(describe(exc)) from exc


@functools.lru_cache(maxsize=2048)
def included_fragments(src: str) -> tuple[str, ...]:
    """The fragment names a template or fragment source includes directly."""
    try:
        check_length(len(src), MAX_TEMPLATE_SOURCE, "template")
        return tuple(includes_in(_TEXT_ENV.parse(src)))
    except Exception as exc:
        raise ExpressionError(describe(exc)) from exc


def referenced_names(src: str) -> set[str]:
    """Top-level names an expression reads from its context (helpers excluded).

    Lets the router skip loading the profile when an entry `when` never mentions it.
    """
    try:
        tree = _expression_tree(src)
        return set(meta.find_undeclared_variables(tree)) - set(_TEXT_ENV.globals)
    except Exception as exc:
        raise ExpressionError(describe(exc)) from exc


def template_names(src: str) -> set[str]:
    """Top-level names a template reads from its context (helpers and `{% set %}` excluded)."""
    try:
        check_length(len(src), MAX_TEMPLATE_SOURCE, "template")
        return set(meta.find_undeclared_variables(_TEXT_ENV.parse(src))) - set(_TEXT_ENV.globals)
    except Exception as exc:
        raise ExpressionError(describe(exc)) from exc


def event_data(event: Event | Mapping[str, Any]) -> dict[str, Any]:
    """An event as expressions see it: `name`, `properties`, `timestamp`, `event_id`."""
    return event.model_dump() if isinstance(event, Event) else dict(event)


def build_context(
    *,
    profile: Profile,
    event: Event,
    events: Mapping[str, Event],
    journey: Mapping[str, Any],
    vars: Mapping[str, Any],
    now: datetime,
) -> dict[str, Any]:
    """The names every expression and template sees, as plain dicts (`a.b` reads keys)."""
    if isinstance(profile, Profile):
        profile_data = {**profile.model_dump(), "locale": profile.locale}
    else:
        profile_data = dict(profile)
    return {
        "profile": profile_data,
        "event": event_data(event),
        "events": {name: event_data(value) for name, value in events.items()},
        "journey": dict(journey),
        "vars": dict(vars),
        "now": aware(now),
    }
