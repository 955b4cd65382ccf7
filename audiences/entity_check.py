"""An audience rule checked against the entity types, and what it needs of them.

The rule model cannot know the types, so this runs after `parse_rule`: every problem is
reported with its path (`definition.and[1].where[0].field`), for an unknown type, field or
relation, an operator that does not fit the field's type, a value of the wrong type, or an
aggregate over a field that is not a number. `uses` and `reach` tell the service which
columns an audience needs (removing them is refused) and how a changed record reaches the
profiles to re-evaluate (the triggers follow these paths). Pure.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from audiences.rules import AndRule, EntityCondition, EntityRule, NotRule, OrRule, Rule
from entities.model import Definition
from entities.paths import Resolved, column_kind, owner, resolve
from journeys.problems import Problem

# The operators each field type takes, and the Python type its values must have.
_TEXT_OPS = {"eq", "ne", "in", "not_in", "lt", "lte", "gt", "gte", "contains", "starts_with"}
_NUMBER_OPS = {"eq", "ne", "in", "not_in", "lt", "lte", "gt", "gte"}
_TIME_OPS = {"before", "after", "within_last", "within_next"}
_PRESENCE = {"exists", "not_exists"}
OPS_BY_KIND: dict[str, set[str]] = {
    "string": _TEXT_OPS | _PRESENCE,
    "enum": _TEXT_OPS | _PRESENCE,
    "number": _NUMBER_OPS | _PRESENCE,
    "boolean": {"eq", "ne"} | _PRESENCE,
    "timestamp": _TIME_OPS | _PRESENCE,
    "date": _TIME_OPS | _PRESENCE,
    "json": set(_PRESENCE),
}


def entity_rules(rule: Rule, path: str = "definition") -> Iterator[tuple[str, EntityRule]]:
    """Every entity rule of the tree with its path."""
    if isinstance(rule, AndRule | OrRule):
        tag, items = ("and", rule.all_of) if isinstance(rule, AndRule) else ("or", rule.any_of)
        for i, child in enumerate(items):
            yield from entity_rules(child, f"{path}.{tag}[{i}]")
    elif isinstance(rule, NotRule):
        yield from entity_rules(rule.negated, f"{path}.not")
    elif isinstance(rule, EntityRule):
        yield path, rule


def uses_entities(rule: Rule) -> bool:
    return any(True for _ in entity_rules(rule))


def problems(
    rule: Rule, known: Mapping[str, Definition], root: str = "definition"
) -> list[Problem]:
    """Everything wrong with the rule's entity parts given these types."""
    return [p for path, node in entity_rules(rule, root) for p in _rule_problems(node, known, path)]


def _rule_problems(node: EntityRule, known: Mapping[str, Definition], at: str) -> list[Problem]:
    if node.entity not in known:
        return [Problem(path=f"{at}.entity", message=f"no entity type {node.entity!r}")]
    found = _via_problems(node, known, at) if node.via else _owner_problems(node, known, at)
    for i, cond in enumerate(node.where):
        found += condition_problems(cond, known, node.entity, f"{at}.where[{i}]")
    found += _window_problems(node, known, at)
    if node.aggregate is not None and node.aggregate.field is not None:
        found += _aggregate_problems(node.entity, node.aggregate.field, known, f"{at}.aggregate")
    return found


def _owner_problems(node: EntityRule, known: Mapping[str, Definition], at: str) -> list[Problem]:
    if owner(known, node.entity) is not None:
        return []
    message = f"{node.entity} has no relation to the profile: reach profiles with via"
    return [Problem(path=f"{at}.entity", message=message)]


def _via_problems(node: EntityRule, known: Mapping[str, Definition], at: str) -> list[Problem]:
    assert node.via is not None
    via, at = node.via, f"{at}.via"
    if via.entity not in known:
        return [Problem(path=f"{at}.entity", message=f"no entity type {via.entity!r}")]
    found = []
    if owner(known, via.entity) is None:
        message = f"{via.entity} has no relation to the profile"
        found.append(Problem(path=f"{at}.entity", message=message))
    spec = known[via.entity].relations.get(via.relation)
    if spec is None or spec.to != node.entity:
        message = f"must be a relation of {via.entity} to {node.entity}"
        found.append(Problem(path=f"{at}.relation", message=message))
    for i, cond in enumerate(via.where):
        found += condition_problems(cond, known, via.entity, f"{at}.where[{i}]")
    return found


def condition_problems(
    cond: EntityCondition, known: Mapping[str, Definition], type_name: str, at: str
) -> list[Problem]:
    """The path must name a column, the operator fit its type, the value fit the column."""
    found = resolve(known, type_name, cond.field)
    if isinstance(found, str):
        return [Problem(path=f"{at}.field", message=found)]
    if cond.op not in OPS_BY_KIND[found.kind]:
        allowed = ", ".join(sorted(OPS_BY_KIND[found.kind]))
        message = f"'{cond.op}' does not apply to {_a(found.kind)} field (use {allowed})"
        return [Problem(path=f"{at}.op", message=message)]
    problem = _value_problem(cond, found)
    return [Problem(path=f"{at}.value", message=problem)] if problem else []


def _value_problem(cond: EntityCondition, found: Resolved) -> str | None:
    if cond.op in _PRESENCE or cond.op in _TIME_OPS:
        return None  # no value, or a moment / duration the model checked
    values = cond.value if isinstance(cond.value, list) else [cond.value]
    if found.kind in ("string", "enum") and not all(isinstance(v, str) for v in values):
        return f"{cond.field} is {_a(found.kind)} field: compare it with strings"
    if found.kind == "number" and not all(_number(v) for v in values):
        return f"{cond.field} is a number field: compare it with numbers"
    if found.kind == "boolean" and not all(isinstance(v, bool) for v in values):
        return f"{cond.field} is a boolean field: compare it with true or false"
    listed = found.kind == "enum" and cond.op in ("eq", "ne", "in", "not_in")
    unknown = [v for v in values if listed and v not in found.values]
    if unknown:
        return f"{unknown[0]!r} is not one of {', '.join(found.values)}"
    return None


def _a(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def _number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _window_problems(node: EntityRule, known: Mapping[str, Definition], at: str) -> list[Problem]:
    if node.on is None:
        return []
    found = column_kind(known, node.entity, node.on)
    if found is None or found.kind not in ("timestamp", "date"):
        message = f"must be a timestamp or date field of {node.entity}"
        return [Problem(path=f"{at}.on", message=message)]
    return []


def _aggregate_problems(
    type_name: str, path: str, known: Mapping[str, Definition], at: str
) -> list[Problem]:
    found = resolve(known, type_name, path)
    if isinstance(found, str):
        return [Problem(path=f"{at}.field", message=found)]
    if found.kind != "number":
        message = f"an aggregate needs a number field; {path} is {_a(found.kind)} field"
        return [Problem(path=f"{at}.field", message=message)]
    return []


# --- what an audience needs of the types ---------------------------------------------------


def _paths(node: EntityRule) -> list[tuple[str, str]]:
    """(type, path) of every column reference of a (valid) entity rule."""
    refs = [(node.entity, c.field) for c in node.where]
    if node.on is not None:
        refs.append((node.entity, node.on))
    if node.aggregate is not None and node.aggregate.field is not None:
        refs.append((node.entity, node.aggregate.field))
    if node.via is not None:
        refs += [(node.via.entity, c.field) for c in node.via.where]
        refs.append((node.via.entity, node.via.relation))
    return refs


def uses(rule: Rule, known: Mapping[str, Definition]) -> set[tuple[str, str | None]]:
    """Every (type, column) a valid rule reads; `(type, None)` for each type it reads at all."""
    found: set[tuple[str, str | None]] = set()
    for _, node in entity_rules(rule):
        found.add((node.entity, None))
        if node.via is not None:
            found.add((node.via.entity, None))
        for type_name, path in _paths(node):
            resolved = resolve(known, type_name, path)
            if isinstance(resolved, str):
                continue
            for hop_type, rel in resolved.hops:
                found |= {(hop_type, rel), (known[hop_type].relations[rel].to, None)}
            found.add((resolved.type_name, resolved.column))
    return found


def reach(rule: Rule, known: Mapping[str, Definition]) -> set[str]:
    """How a changed record of each type the rule reads reaches the profiles concerned.

    A path is `T.c` (the column `c` of the changed records of `T`) followed by steps
    `U.r.c` (the column `c` of the `U` records whose relation `r` holds one of the values so
    far); its last values are profile ids. The trigger on every entity table follows them.
    """
    found: set[str] = set()
    for _, node in entity_rules(rule):
        base = _base_reach(node, known)
        found |= set(base.values())
        for type_name, path in _paths(node):
            resolved = resolve(known, type_name, path)
            if not isinstance(resolved, str):
                found |= _hop_reach(resolved, base[type_name], known)
    return found


def _base_reach(node: EntityRule, known: Mapping[str, Definition]) -> dict[str, str]:
    """The path of the rule's own type (and of its via type) to the profiles."""
    if node.via is None:
        return {node.entity: f"{node.entity}.{owner(known, node.entity)}"}
    via = node.via
    link = f"{via.entity}.{via.relation}.{owner(known, via.entity)}"
    key = known[node.entity].primary_key
    return {
        via.entity: f"{via.entity}.{owner(known, via.entity)}",
        node.entity: f"{node.entity}.{key}/{link}",
    }


def _hop_reach(resolved: Resolved, base: str, known: Mapping[str, Definition]) -> set[str]:
    """For each type a path passes through, from its records back along the hops to `base`.

    `base` is `S.c/rest`: a record of the hop's target reaches the `S` records whose relation
    holds its key, whose column `c` then follows `rest` (`T.pk/S.hotel.c/rest`).
    """
    first, *steps = base.split("/")
    col = first.split(".")[1]
    found = set()
    for hop_type, rel in resolved.hops:
        steps.insert(0, f"{hop_type}.{rel}.{col}")
        target = known[hop_type].relations[rel].to
        col = _key(known, target)
        found.add("/".join([f"{target}.{col}", *steps]))
    return found


def _key(known: Mapping[str, Definition], type_name: str) -> str:
    return known[type_name].primary_key
