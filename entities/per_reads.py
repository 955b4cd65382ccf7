"""What a per-entity send reads of the entity types, so a change cannot break it (409).

Its `per` reads the type, and each condition's path: the relations it follows and the
column it ends on (`hotel.city` on `booking`: `booking.hotel`, `hotel.city`). Its template
reads the record as `entity.fields.<field>` and the records it points at as
`entity.related.<relation>.<field>`; those are found in the template's syntax tree, so
`{{ entity.related.hotel.city }}` and `{{ entity['related']['hotel']['city'] }}` count
alike. A read of something that does not exist (any more) is no reader of anything. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from jinja2 import Environment, TemplateSyntaxError, nodes

from entities.model import Definition
from entities.paths import resolve
from journeys.per_entity import PerEntity

Read = tuple[str, str | None]
"""(type, field or relation), or (type, None) for the type itself."""

_PARSER = Environment()


def reads(per: PerEntity, known: Mapping[str, Definition], texts: Iterable[str] = ()) -> set[Read]:
    """Everything of the types the selection and the template texts need to keep existing."""
    found: set[Read] = {(per.entity, None)}
    for cond in per.where:
        found |= _path_reads(per.entity, cond.field, known)
    if per.entity in known:
        for text in texts:
            found |= _template_reads(per.entity, text, known)
    return found


def _path_reads(type_name: str, path: str, known: Mapping[str, Definition]) -> set[Read]:
    resolved = resolve(known, type_name, path)
    if isinstance(resolved, str):  # not (or no longer) a path: as written, it reads its name
        return {(type_name, path)}
    hops: set[Read] = {(t, rel) for t, rel in resolved.hops}
    return hops | {(resolved.type_name, resolved.column)}


def _template_reads(type_name: str, text: str, known: Mapping[str, Definition]) -> set[Read]:
    d = known[type_name]
    found: set[Read] = set()
    for chain in entity_chains(text):
        if len(chain) >= 2 and chain[0] == "fields":
            found.add((type_name, chain[1]))
        elif len(chain) >= 2 and chain[0] == "related":
            found.add((type_name, chain[1]))
            spec = d.relations.get(chain[1])
            if spec is not None and len(chain) >= 3 and spec.to in known:
                found.add((spec.to, chain[2]))
    return found


def entity_chains(text: str) -> set[tuple[str, ...]]:
    """Each `entity.a.b…` the template reads, as its names after `entity` (constant
    subscripts too); a template that does not parse reads nothing (it is checked on save)."""
    try:
        tree = _PARSER.parse(text)
    except TemplateSyntaxError:
        return set()
    return {c for node in tree.find_all((nodes.Getattr, nodes.Getitem)) if (c := _chain(node))}


def _chain(node: nodes.Node) -> tuple[str, ...] | None:
    names: list[str] = []
    for step in _steps(node):
        if isinstance(step, nodes.Name):
            return tuple(reversed(names)) if step.name == "entity" else None
        if isinstance(step, nodes.Getattr):
            names.append(step.attr)
        elif isinstance(step.arg, nodes.Const) and isinstance(step.arg.value, str):
            names.append(step.arg.value)
        else:
            names = []  # entity[x].y: only what follows a variable subscript is unknown
    return None


def _steps(node: nodes.Node) -> Iterator[nodes.Getattr | nodes.Getitem | nodes.Name]:
    current = node
    while isinstance(current, nodes.Getattr | nodes.Getitem):
        yield current
        current = current.node
    if isinstance(current, nodes.Name):
        yield current
