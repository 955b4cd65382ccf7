"""Where a field of an entity condition lives: a column of the type, or of a related one.

`hotel.city` on `booking` follows the relation `hotel` to the `hotel` type and names its
`city` field. Shared by the audience checks, their SQL compiler and reference evaluator,
and the `per` selections of per-entity messages (`entities.selection`), so all agree on
what a path means and compile it to the same joins (`PathJoins`). Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from entities.identifiers import column, table
from entities.model import PROFILE, Definition, relation_type

CREATED = "_created_at"
UPDATED = "_updated_at"
TIMES = (CREATED, UPDATED)
MAX_HOPS = 3


@dataclass(frozen=True)
class Resolved:
    """A path's relations followed in order (`(type, relation)`), and the column it names."""

    hops: tuple[tuple[str, str], ...]
    type_name: str
    column: str
    kind: str
    values: tuple[str, ...] = ()


def owner(known: Mapping[str, Definition], type_name: str) -> str | None:
    """The type's relation to the profile (at most one), if any."""
    d = known.get(type_name)
    rels = d.profile_relations() if d else []
    return rels[0] if rels else None


def column_kind(known: Mapping[str, Definition], type_name: str, col: str) -> Resolved | None:
    """A column of one type (no path): a field, a relation or a record time."""
    d = known[type_name]
    if col in TIMES:
        return Resolved((), type_name, col, "timestamp")
    if col in d.fields:
        spec = d.fields[col]
        return Resolved((), type_name, col, spec.type, tuple(spec.values or ()))
    if col in d.relations:
        return Resolved((), type_name, col, relation_type(d.relations[col], dict(known), d))
    return None


def resolve(known: Mapping[str, Definition], type_name: str, path: str) -> Resolved | str:
    """The column `path` names from `type_name`, or why it names none."""
    *relations, last = path.split(".")
    if type_name not in known:
        return f"no entity type {type_name!r}"
    if len(relations) > MAX_HOPS:
        return f"a path follows at most {MAX_HOPS} relations"
    hops, current = [], type_name
    for rel in relations:
        spec = known[current].relations.get(rel)
        if spec is None:
            return f"{rel!r} is not a relation of {current}"
        if spec.to == PROFILE:
            return f"{rel!r} points at the profile, which a path cannot follow"
        if spec.to not in known:
            return f"no entity type {spec.to!r}"
        hops.append((current, rel))
        current = spec.to
    found = column_kind(known, current, last)
    if found is None:
        return f"{last!r} is not a field or relation of {current}"
    return Resolved(tuple(hops), current, last, found.kind, found.values)


def column_sql(alias: str, name: str) -> str:
    """A column of `alias`: a record time as is, any other name checked and quoted."""
    return f'{alias}."{name}"' if name in TIMES else f"{alias}.{column(name)}"


@dataclass
class PathJoins:
    """The LEFT JOINs a set of paths needs: one per relation followed from one alias, so
    two conditions on `hotel.*` share one join. Identifiers come from the definitions only,
    each checked and quoted; aliases from `alias` (the caller numbers them)."""

    known: Mapping[str, Definition]
    alias: Callable[[], str]
    joins: list[str] = field(default_factory=list)
    _joined: dict[tuple[str, str], str] = field(default_factory=dict)

    def path(self, type_name: str, alias: str, path: str) -> tuple[str, str]:
        """The SQL expression of a path's column and its kind, joining what it passes.
        The path must have resolved (`resolve`) against the same definitions."""
        found = resolve(self.known, type_name, path)
        assert not isinstance(found, str), found
        for hop_type, rel in found.hops:
            alias = self._join(alias, hop_type, rel)
        return column_sql(alias, found.column), found.kind

    def _join(self, alias: str, type_name: str, rel: str) -> str:
        """The alias of the record `alias.rel` points at (one LEFT JOIN per relation)."""
        if (alias, rel) in self._joined:
            return self._joined[(alias, rel)]
        target = self.known[type_name].relations[rel].to
        j = self.alias()
        key = column(self.known[target].primary_key)
        self.joins.append(f"LEFT JOIN {table(target)} {j} ON {j}.{key} = {alias}.{column(rel)}")
        self._joined[(alias, rel)] = j
        return j
