"""Fragments: named content blocks that templates and other fragments include.

Pure: given the fragments (name -> default source and locale variants), which sources a
render needs (`sources_for`), which fragments a source uses, and whether saving one would
close a cycle (`find_cycle`). The database and the API are services/fragments.py's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from content.locales import choose
from journeys.expressions import ExpressionError, Fragments, included_fragments


@dataclass(frozen=True)
class Fragment:
    """One fragment's text: its default source and its variants by locale tag."""

    body: str
    locales: Mapping[str, str] = field(default_factory=dict)

    def source(self, locale: str | None) -> str:
        """The variant for `locale` along its fallback chain, else the default."""
        key = choose(self.locales, locale)
        return self.body if key is None else self.locales[key]

    def all_sources(self) -> list[str]:
        return [self.body, *self.locales.values()]


def uses(sources: Iterable[str | None]) -> set[str]:
    """The fragments these sources include directly; a source that does not parse includes
    none (compiling it reports why)."""
    found: set[str] = set()
    for src in sources:
        if src:
            try:
                found.update(included_fragments(src))
            except ExpressionError:
                continue
    return found


def sources_for(
    roots: Iterable[str | None], fragments: Mapping[str, Fragment], locale: str | None
) -> Fragments:
    """Every fragment source the roots reach, in the variant for `locale`, sorted by name.

    Unknown names are left out: compiling then fails naming the fragment, as it should.
    """
    chosen: dict[str, str] = {}
    todo = sorted(uses(roots))
    while todo:
        name = todo.pop()
        fragment = fragments.get(name)
        if name in chosen or fragment is None:
            continue
        chosen[name] = fragment.source(locale)
        todo.extend(sorted(uses(fragment.all_sources()) - chosen.keys()))
    return tuple(sorted(chosen.items()))


def reachable_sources(roots: Iterable[str | None], fragments: Mapping[str, Fragment]) -> list[str]:
    """The roots and every source of every fragment they reach, in every locale: all the
    text a render could use, for finding what it reads. Unknown names are left out."""
    found = [r for r in roots if r]
    seen: set[str] = set()
    todo = sorted(uses(found))
    while todo:
        name = todo.pop()
        if name in seen or name not in fragments:
            continue
        seen.add(name)
        sources = fragments[name].all_sources()
        found += sources
        todo.extend(sorted(uses(sources) - seen))
    return found


def find_cycle(start: str, edges: Mapping[str, Iterable[str]]) -> list[str] | None:
    """A path of includes from `start` back to itself (`[a, b, a]`), or None.

    `edges` maps each fragment to the fragments it includes; depth-first, in name order,
    so the path reported is the same every time.
    """
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    seen: set[str] = set()
    while stack:
        node, path = stack.pop()
        for nxt in sorted(edges.get(node, ()), reverse=True):
            if nxt == start:
                return [*path, start]
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, [*path, nxt]))
    return None
