"""What a per-entity send reads of the entity types, so a change cannot break it (409).

Its `per` reads the type, and each condition's path: the relations it follows and the
column it ends on (`hotel.city` on `booking`: `booking.hotel`, `hotel.city`). Its template
reads the record as `entity.fields.<field>` and the records it points at as
`entity.related.<relation>.<field>`; those are found in the template's syntax tree, so
`{{ entity.related.hotel.city }}` and `{{ entity['related']['hotel']['city'] }}` count
alike. What the text cannot tell — `entity.fields[name]`, `entity.related.hotel.items()`,
`{% set e = entity %}` — reads everything beneath that point, so no change can break a
template by a read the tree hides. A read of something that does not exist (any more) is no
reader of anything. Pure.
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
    found: set[Read] = set()
    for chain in entity_chains(text):
        found |= _chain_reads(type_name, chain, known)
    return found


def _chain_reads(
    type_name: str, chain: tuple[str, ...], known: Mapping[str, Definition]
) -> set[Read]:
    """What one chain reads; a chain that stops short or names `*` reads all beneath it."""
    head, rest = (chain[0], chain[1:]) if chain else (ANY, ())
    if head == ANY:
        return _all_fields(type_name, known) | _related_reads(type_name, (ANY,), known)
    if head == "fields":
        return _all_fields(type_name, known) if _open(rest) else {(type_name, rest[0])}
    if head == "related":
        return _related_reads(type_name, rest or (ANY,), known)
    return set()  # entity.key and the like: no field of the type


def _related_reads(
    type_name: str, chain: tuple[str, ...], known: Mapping[str, Definition]
) -> set[Read]:
    d = known[type_name]
    names = [n for n, r in d.relations.items() if r.to in known] if _open(chain) else [chain[0]]
    found: set[Read] = set()
    for name in names:
        found.add((type_name, name))
        spec = d.relations.get(name)
        if spec is not None and spec.to in known:
            found |= _all_fields(spec.to, known) if _open(chain[1:]) else {(spec.to, chain[1])}
    return found


def _open(chain: tuple[str, ...]) -> bool:
    return not chain or chain[0] == ANY


def _all_fields(type_name: str, known: Mapping[str, Definition]) -> set[Read]:
    return {(type_name, f) for f in known[type_name].columns()}


ANY = "*"
"""A step a template takes that cannot be read from its text: a variable subscript, a dict
method (`items()`, `get(...)`), or the chain's end where a whole mapping is used as a value."""

_MAPPING_METHODS = frozenset({"items", "values", "keys", "get"})


def entity_chains(text: str) -> set[tuple[str, ...]]:
    """Each whole `entity.a.b…` the template reads, as its names after `entity` (constant
    subscripts too, `ANY` for what cannot be known); a bare `entity` is the empty chain; a
    template that does not parse reads nothing (it is checked on save)."""
    try:
        tree = _PARSER.parse(text)
    except TemplateSyntaxError:
        return set()
    steps = list(tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Name)))
    inner = {id(s.node) for s in steps if isinstance(s, nodes.Getattr | nodes.Getitem)}
    outer = [s for s in steps if id(s) not in inner]
    return {c for node in outer if (c := _chain(node)) is not None}


def _chain(node: nodes.Node) -> tuple[str, ...] | None:
    names: list[str] = []
    for step in _steps(node):
        if isinstance(step, nodes.Name):
            if step.name != "entity" or step.ctx != "load":
                return None
            return tuple(reversed(names))
        if isinstance(step, nodes.Getattr):
            names.append(ANY if step.attr in _MAPPING_METHODS else step.attr)
        elif isinstance(step.arg, nodes.Const) and isinstance(step.arg.value, str):
            names.append(step.arg.value)
        else:
            names.append(ANY)
    return None


def _steps(node: nodes.Node) -> Iterator[nodes.Getattr | nodes.Getitem | nodes.Name]:
    current = node
    while isinstance(current, nodes.Getattr | nodes.Getitem):
        yield current
        current = current.node
    if isinstance(current, nodes.Name):
        yield current
