"""`{% include "footer" %}` in templates and fragments, resolved before compilation.

Templates compile without a Jinja loader: a loader would let a render read sources the
checks never saw. Instead an include names a fragment by a literal string, the caller hands
over the sources of the fragments it resolved for this render (`content.fragments`), and
each include is replaced by that fragment's parsed body. So a fragment sees the names its
includer sees, the sandbox's rewriting (journeys/sandbox.py) covers it like the rest of the
template, and the compiled template is cached by the exact sources it was built from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from jinja2 import nodes
from jinja2.visitor import NodeTransformer

from journeys.sandbox import ExpressionError

Parse = Callable[[str], nodes.Template]


def includes_in(tree: nodes.Template) -> list[str]:
    """The fragment names a parsed source includes, in order of appearance, once each.

    An include whose name is not a literal string (`{% include var %}`) is refused: which
    fragment it reads could not be checked when the template is saved.
    """
    names: dict[str, None] = {}
    for node in tree.find_all(nodes.Include):
        names[_literal_name(node)] = None
    return list(names)


def _literal_name(node: nodes.Include) -> str:
    if isinstance(node.template, nodes.Const) and isinstance(node.template.value, str):
        return node.template.value
    raise ExpressionError(f"line {node.lineno}: an include names its fragment as a literal string")


class _Inline(NodeTransformer):
    """Replaces each include by the body of the fragment it names, recursively."""

    def __init__(
        self, sources: Mapping[str, str], parse: Parse, lead: tuple[str, ...], path: tuple[str, ...]
    ) -> None:
        self.sources = sources
        self.parse = parse
        self.lead = lead  # ("template",) when a template includes, else nothing
        self.path = path  # the fragments being inlined, outermost first

    def visit_Include(self, node: nodes.Include) -> list[nodes.Node]:
        name = _literal_name(node)
        if name in self.path:
            raise ExpressionError(f"include cycle: {' -> '.join((*self.lead, *self.path, name))}")
        source = self.sources.get(name)
        if source is None:
            if node.ignore_missing:
                return []
            raise ExpressionError(f"unknown fragment {name!r}")
        inner = _Inline(self.sources, self.parse, self.lead, (*self.path, name))
        return list(_statements(inner.visit(self.parse(source))))


def _statements(tree: nodes.Node) -> Iterator[nodes.Node]:
    assert isinstance(tree, nodes.Template)
    yield from tree.body


def inline_includes(
    tree: nodes.Template, sources: Mapping[str, str], parse: Parse, root: str | None = None
) -> nodes.Template:
    """`tree` with every include replaced by its fragment's body (`sources`: name -> text).

    `root` is the fragment `tree` is the source of (None for a template). Raises
    `ExpressionError` for an unknown fragment (unless `ignore missing`) and for a cycle,
    with its path (`header -> logo -> header`).
    """
    path, lead = ((root,), ()) if root is not None else ((), ("template",))
    inlined = _Inline(sources, parse, lead, path).visit(tree)
    assert isinstance(inlined, nodes.Template)
    return inlined
