"""Whether a definition can become a table, and whether a change of it can be applied.

Every problem is reported at once with its path (`fields.nights.type`), so a client fixes
the whole definition in one round. A change is refused where it would lose or reinterpret
stored data: retyping a field, changing the primary key, removing or retargeting a
relation (for now; a migration path for those may come later). Removing a field drops its
column, unless an audience reads it (checked by the service, which knows the audiences).
"""

from __future__ import annotations

from collections.abc import Mapping

from entities.identifiers import is_name
from entities.model import FIELD_TYPES, KEY_TYPES, PROFILE, Definition
from journeys.problems import Problem

_NAME_RULE = "must match ^[a-z][a-z0-9_]{0,47}$ (lower-case letters, digits, underscores)"


def problems(name: str, d: Definition, known: Mapping[str, Definition]) -> list[Problem]:
    """Everything wrong with `d` as the definition of `name`, given the other types."""
    found = [] if is_name(name) else [Problem(path="name", message=_NAME_RULE)]
    found += _field_problems(d)
    found += _key_problems(d)
    found += _relation_problems(name, d, known)
    return found


def _field_problems(d: Definition) -> list[Problem]:
    found = []
    for fname, spec in d.fields.items():
        if not is_name(fname):
            found.append(Problem(path=f"fields.{fname}", message=_NAME_RULE))
        if spec.type not in FIELD_TYPES:
            message = f"must be one of {', '.join(FIELD_TYPES)}"
            found.append(Problem(path=f"fields.{fname}.type", message=message))
        if spec.type == "enum" and not spec.values:
            found.append(Problem(path=f"fields.{fname}.values", message="an enum lists values"))
        elif spec.type == "enum" and len(set(spec.values or [])) != len(spec.values or []):
            found.append(Problem(path=f"fields.{fname}.values", message="values repeat"))
        if spec.type != "enum" and spec.values is not None:
            found.append(Problem(path=f"fields.{fname}.values", message="only an enum has values"))
    return found


def _key_problems(d: Definition) -> list[Problem]:
    spec = d.fields.get(d.primary_key)
    if spec is None:
        return [Problem(path="primary_key", message=f"{d.primary_key!r} is not a field")]
    if spec.type not in KEY_TYPES and spec.type in FIELD_TYPES:
        return [Problem(path=f"fields.{d.primary_key}.type", message="a key is string or number")]
    return []


def _relation_problems(name: str, d: Definition, known: Mapping[str, Definition]) -> list[Problem]:
    found = []
    for rname, rel in d.relations.items():
        path = f"relations.{rname}"
        if not is_name(rname):
            found.append(Problem(path=path, message=_NAME_RULE))
        if rname in d.fields:
            found.append(Problem(path=path, message="a field has this name"))
        if rel.to not in (PROFILE, name) and rel.to not in known:
            found.append(Problem(path=f"{path}.to", message=f"no entity type {rel.to!r}"))
    if len(d.profile_relations()) > 1:
        found.append(Problem(path="relations", message="at most one relation to the profile"))
    return found


def refused_changes(old: Definition, new: Definition) -> list[Problem]:
    """The changes from `old` to `new` that cannot be applied to a stored table."""
    found = []
    for f, spec in old.fields.items():
        now = new.fields.get(f)
        if now is not None and now.type != spec.type:
            found.append(Problem(path=f"fields.{f}.type", message="changing a type is refused"))
        elif now is not None and not set(spec.values or []) <= set(now.values or []):
            found.append(Problem(path=f"fields.{f}.values", message="removing a value is refused"))
    if old.primary_key != new.primary_key:
        found.append(Problem(path="primary_key", message="the primary key cannot change"))
    for r, rel in old.relations.items():
        if new.relations.get(r) != rel and (
            r not in new.relations or new.relations[r].to != rel.to
        ):
            found.append(
                Problem(
                    path=f"relations.{r}", message="removing or retargeting a relation is refused"
                )
            )
    return found


def users_of(name: str, known: Mapping[str, Definition]) -> list[str]:
    """`type.relation` of every other type that points at `name` (which blocks its deletion)."""
    return sorted(
        f"{t}.{r}"
        for t, d in known.items()
        if t != name
        for r, rel in d.relations.items()
        if rel.to == name
    )
