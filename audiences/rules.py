"""Audience definitions: a rule tree over profile attributes, contact fields and event history.

Pure (no IO, no clock): the API validates with it, the compiler (`audiences/sql.py`)
turns it into SQL, the rechecker asks it which writes can change membership, and `matches`
is the reference semantics the SQL is tested against.

A rule is one of (JSON):
  {"and": [rule, ...]}   {"or": [rule, ...]}   {"not": rule}
  {"attribute": "plan", "op": "eq", "value": "pro"}            profile.attributes[key]
  {"field": "email", "op": "exists"}                           email, phone or timezone
  {"event": "order.completed", "where": [{"property": "total", "op": "gt", "value": 100}],
   "at_least": 2, "at_most": 5, "within": "P30D"}              the profile's event history
  {"entity": "booking", "where": [{"field": "hotel.city", "op": "eq", "value": "Lyon"}],
   "within": "P90D", "on": "booked_at", "aggregate": {"fn": "sum", "field": "total",
   "op": "gt", "value": 500}, "via": {"entity": "view", "relation": "product"}}
                                                               related entity records

Every leaf is true or false, never unknown: a missing (or JSON null) attribute satisfies
no comparison, so `ne`, `not_in` and `not_exists` hold for it (they are the negations of
`eq`, `in` and `exists`). Comparisons are typed: a number compares with numbers (1 == 1.0),
a string with strings (by code point), a boolean only equals a boolean. Dates are ISO 8601
strings, either a date (`2024-05-01`, midnight UTC) or a date-time with an offset;
`before`/`after` take such a date or `now`, `now-P7D`, `now+PT1H`; `within_last: P30D`
holds for dates between now minus the duration and now.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from journeys.durations import parse_duration
from journeys.problems import Problem, format_path

Op = Literal[
    "eq",
    "ne",
    "lt",
    "lte",
    "gt",
    "gte",
    "contains",
    "starts_with",
    "exists",
    "not_exists",
    "in",
    "not_in",
    "before",
    "after",
    "within_last",
]
# Entity conditions also look ahead: `departure within_next P7D`.
EntityOp = Literal[Op, "within_next"]
AggregateFn = Literal["count", "sum", "min", "max", "avg"]
AggregateOp = Literal["eq", "ne", "lt", "lte", "gt", "gte"]
ContactField = Literal["email", "phone", "timezone"]
Scalar = StrictBool | StrictInt | StrictFloat | StrictStr
Value = Scalar | list[Scalar]

MAX_DEPTH = 8
MAX_RULES = 200
MAX_LIST = 1000
MAX_TEXT = 1000
MAX_KEY = 200
RESERVED_EVENT_PREFIX = "audience."

# Accepted date forms, identical in Python and Postgres (both refuse 24:00 and leap seconds
# by these patterns, and both reject impossible days like 02-30 on parsing).
DATE_RE = r"^\d{4}-\d{2}-\d{2}$"
DATETIME_RE = (
    r"^\d{4}-\d{2}-\d{2}[T ]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?"
    r"(Z|[+-](0\d|1[0-4]):[0-5]\d)$"
)
_DATE = re.compile(DATE_RE)
_DATETIME = re.compile(DATETIME_RE)
_RELATIVE = re.compile(r"^now(?:([+-])(P.+))?$")

_ORDERED = {"lt", "lte", "gt", "gte"}


def _finite(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(_finite(v) for v in value)
    return True


def _has_nul(value: Any) -> bool:
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return isinstance(value, str) and "\x00" in value


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("cannot contain the NUL character")
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_op_value(op: str, value: Any, *, text_only: bool) -> str | None:
    """Why this value does not fit this operator, or None.

    `text_only` is for the contact fields, which are text columns. Each operator runs its
    row of `_CHECKS` in order; the first problem found is the answer.
    """
    for check in _CHECKS[op]:
        if problem := check(op, value, text_only):
            return problem
    return None


def _takes_nothing(op: str, value: Any, text_only: bool) -> str | None:
    return None if value is None else f"'{op}' takes no value"


def _bounded_value(op: str, value: Any, text_only: bool) -> str | None:
    """What every operator with a value refuses: none, infinities, NUL, huge text."""
    if value is None:
        return f"'{op}' needs a value"
    if not _finite(value):
        return "numbers must be finite"
    if _has_nul(value):
        return "text cannot contain the NUL character"
    if isinstance(value, str) and len(value) > MAX_TEXT:
        return f"at most {MAX_TEXT} characters"
    return None


def _value_list(op: str, value: Any, text_only: bool) -> str | None:
    if not isinstance(value, list) or not value:
        return f"'{op}' needs a non-empty list"
    if len(value) > MAX_LIST:
        return f"at most {MAX_LIST} values"
    if text_only and not all(isinstance(v, str) for v in value):
        return "this field holds text: every value must be a string"
    if any(isinstance(v, str) and len(v) > MAX_TEXT for v in value):
        return f"list strings are at most {MAX_TEXT} characters"
    return None


def _one_value(op: str, value: Any, text_only: bool) -> str | None:
    return f"'{op}' takes one value, not a list" if isinstance(value, list) else None


def _text_for_contact(op: str, value: Any, text_only: bool) -> str | None:
    if text_only and not isinstance(value, str):
        return "this field holds text: the value must be a string"
    return None


def _orderable(op: str, value: Any, text_only: bool) -> str | None:
    if isinstance(value, bool) or (text_only and not isinstance(value, str)):
        return f"'{op}' needs a number or a string"
    return None


def _containable(op: str, value: Any, text_only: bool) -> str | None:
    if isinstance(value, bool) or (text_only and not isinstance(value, str)):
        return "'contains' needs a string (or a number, for arrays)"
    return None


def _prefix(op: str, value: Any, text_only: bool) -> str | None:
    return None if isinstance(value, str) else "'starts_with' needs a string"


def _date_operand(op: str, value: Any, text_only: bool) -> str | None:
    if text_only:
        return f"'{op}' compares dates; contact fields are not dates"
    return None if isinstance(value, str) else f"'{op}' needs a string"


def _moment(op: str, value: Any, text_only: bool) -> str | None:
    if _valid_moment(value):
        return None
    return "must be a date, a date-time with offset, or now-P7D"


def _duration(op: str, value: Any, text_only: bool) -> str | None:
    return None if _valid_duration(value) else "must be an ISO 8601 duration like P30D"


_Check = Callable[[str, Any, bool], str | None]
_SCALAR: tuple[_Check, ...] = (_bounded_value, _one_value)
_CHECKS: dict[str, tuple[_Check, ...]] = {
    "exists": (_takes_nothing,),
    "not_exists": (_takes_nothing,),
    "eq": (*_SCALAR, _text_for_contact),
    "ne": (*_SCALAR, _text_for_contact),
    "lt": (*_SCALAR, _orderable),
    "lte": (*_SCALAR, _orderable),
    "gt": (*_SCALAR, _orderable),
    "gte": (*_SCALAR, _orderable),
    "contains": (*_SCALAR, _containable),
    "starts_with": (*_SCALAR, _prefix),
    "in": (_bounded_value, _value_list),
    "not_in": (_bounded_value, _value_list),
    "before": (*_SCALAR, _date_operand, _moment),
    "after": (*_SCALAR, _date_operand, _moment),
    "within_last": (*_SCALAR, _date_operand, _duration),
    "within_next": (*_SCALAR, _date_operand, _duration),
}


def _valid_duration(text: str) -> bool:
    try:
        parse_duration(text)
    except ValueError:
        return False
    return True


def _valid_moment(text: str) -> bool:
    m = _RELATIVE.match(text)
    if m:
        return m.group(2) is None or _valid_duration(m.group(2))
    return parse_date(text) is not None


def parse_date(text: Any) -> datetime | None:
    """A stored date attribute as an aware datetime, or None when it is not one."""
    if not isinstance(text, str):
        return None
    try:
        if _DATE.match(text):
            return datetime.combine(date.fromisoformat(text), time(), UTC)
        if _DATETIME.match(text):
            return datetime.fromisoformat(text)
    except ValueError:
        return None
    return None


def resolve_moment(text: str, now: datetime) -> datetime:
    """`now`, `now-P7D`, `now+PT1H` or an absolute date, as an aware datetime."""
    m = _RELATIVE.match(text)
    if not m:
        found = parse_date(text)
        if found is None:
            raise ValueError(f"{text!r} is not a date")
        return found
    if m.group(2) is None:
        return now
    amount = parse_duration(m.group(2))
    return now + amount if m.group(1) == "+" else now - amount


def is_relative(text: str) -> bool:
    return bool(_RELATIVE.match(text))


# --- the model ---------------------------------------------------------------------------


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Comparison(_Rule):
    op: Op
    value: Value | None = None

    @model_validator(mode="after")
    def _fits(self) -> Comparison:
        problem = check_op_value(self.op, self.value, text_only=isinstance(self, FieldRule))
        if problem:
            raise ValueError(f"value: {problem}")
        return self


class AttributeRule(Comparison):
    """A comparison on one key of `profile.attributes` (the key is literal: no paths)."""

    attribute: str = Field(min_length=1, max_length=MAX_KEY)

    _key = field_validator("attribute")(_no_nul)


class FieldRule(Comparison):
    """A comparison on a contact field."""

    field: ContactField


class PropertyRule(Comparison):
    """A comparison on one key of an event's `properties`."""

    property: str = Field(min_length=1, max_length=MAX_KEY)

    _key = field_validator("property")(_no_nul)


class EventRule(_Rule):
    """Performed (or not) an event: count within bounds, optionally in a recent window.

    Without bounds it means "at least once"; `at_most: 0` means "never".
    """

    event: str = Field(min_length=1, max_length=200)
    where: list[PropertyRule] = Field(default_factory=list, max_length=20)
    at_least: int | None = Field(None, ge=1, le=1_000_000)
    at_most: int | None = Field(None, ge=0, le=1_000_000)
    within: str | None = Field(None, max_length=40, description="ISO 8601 duration, e.g. P30D")

    @field_validator("within")
    @classmethod
    def _duration(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value)
        return value

    @field_validator("event")
    @classmethod
    def _not_ours(cls, value: str) -> str:
        if value.startswith(RESERVED_EVENT_PREFIX):
            raise ValueError("audience.* events are emitted by audiences; rules cannot use them")
        return _no_nul(value)

    @model_validator(mode="after")
    def _bounds(self) -> EventRule:
        if self.at_least is not None and self.at_most is not None and self.at_least > self.at_most:
            raise ValueError("at_least: is greater than at_most")
        return self

    @property
    def minimum(self) -> int | None:
        return 1 if self.at_least is None and self.at_most is None else self.at_least


class EntityCondition(_Rule):
    """A comparison on a field of an entity record, or of a record it relates to.

    `field` is a field or relation of the type, `_created_at` / `_updated_at`, or a dotted
    path through relations (`hotel.city`); `audiences.entity_check` checks it against the
    entity types, since the model alone does not know them.
    """

    field: str = Field(min_length=1, max_length=MAX_KEY)
    op: EntityOp
    value: Value | None = None

    _key = field_validator("field")(_no_nul)

    @model_validator(mode="after")
    def _fits(self) -> EntityCondition:
        problem = check_op_value(self.op, self.value, text_only=False)
        if problem:
            raise ValueError(f"value: {problem}")
        return self


class Aggregate(_Rule):
    """`count` of the matching records, or `sum`/`min`/`max`/`avg` of a number field, compared.

    Over no value (no record, or only nulls) sum, min, max and avg are undefined: no
    comparison holds but `ne`, as for a missing attribute. `count` of no record is 0.
    """

    fn: AggregateFn
    field: str | None = Field(None, min_length=1, max_length=MAX_KEY)
    op: AggregateOp
    value: StrictInt | StrictFloat

    @model_validator(mode="after")
    def _shape(self) -> Aggregate:
        if not math.isfinite(self.value):
            raise ValueError("value: numbers must be finite")
        if self.fn == "count" and self.field is not None:
            raise ValueError("field: count counts records; it takes no field")
        if self.fn != "count" and self.field is None:
            raise ValueError(f"field: {self.fn} needs a number field")
        return self


class Via(_Rule):
    """Reach profiles through another type's records: `view` records whose `product`
    relation points at the rule's entity, and whose own profile relation names the profile."""

    entity: str = Field(min_length=1, max_length=MAX_KEY)
    relation: str = Field(min_length=1, max_length=MAX_KEY)
    where: list[EntityCondition] = Field(default_factory=list, max_length=20)


class EntityRule(_Rule):
    """Has (or counts, or aggregates) records of an entity type matching conditions.

    Without `via` the records are the profile's own (the type's relation to the profile);
    with it, they are the records reached through the `via` type's records of the profile,
    each counted once. `within` keeps records whose `on` field (a timestamp or date; by
    default the record's creation) lies in the last duration. Without bounds or aggregate
    it means "at least one"; `at_most: 0` means "none".
    """

    entity: str = Field(min_length=1, max_length=MAX_KEY)
    where: list[EntityCondition] = Field(default_factory=list, max_length=20)
    via: Via | None = None
    within: str | None = Field(None, max_length=40, description="ISO 8601 duration, e.g. P90D")
    on: str | None = Field(None, min_length=1, max_length=MAX_KEY)
    at_least: int | None = Field(None, ge=1, le=1_000_000)
    at_most: int | None = Field(None, ge=0, le=1_000_000)
    aggregate: Aggregate | None = None

    _names = field_validator("entity", "on")(lambda v: v if v is None else _no_nul(v))

    @field_validator("within")
    @classmethod
    def _duration(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value)
        return value

    @model_validator(mode="after")
    def _bounds(self) -> EntityRule:
        if self.at_least is not None and self.at_most is not None and self.at_least > self.at_most:
            raise ValueError("at_least: is greater than at_most")
        counted = self.at_least is not None or self.at_most is not None
        if self.aggregate is not None and counted:
            raise ValueError("aggregate: cannot be combined with at_least or at_most")
        if self.on is not None and self.within is None:
            raise ValueError("on: names the field of a window; give within too")
        return self

    def tests(self) -> list[Aggregate]:
        """What the rule tests of the matching records, as aggregate comparisons (ANDed)."""
        if self.aggregate is not None:
            return [self.aggregate]
        if self.at_least is None and self.at_most is None:
            return [Aggregate(fn="count", op="gte", value=1)]
        found = []
        if self.at_least is not None:
            found.append(Aggregate(fn="count", op="gte", value=self.at_least))
        if self.at_most is not None:
            found.append(Aggregate(fn="count", op="lte", value=self.at_most))
        return found


class AndRule(_Rule):
    all_of: list[Rule] = Field(alias="and", min_length=1, max_length=100)


class OrRule(_Rule):
    any_of: list[Rule] = Field(alias="or", min_length=1, max_length=100)


class NotRule(_Rule):
    negated: Rule = Field(alias="not")


_TAGS = ("and", "or", "not", "attribute", "field", "event", "entity")


def _rule_tag(data: Any) -> str | None:
    if isinstance(data, Mapping):
        found = [t for t in _TAGS if t in data]
        return found[0] if len(found) == 1 else None
    if isinstance(data, _Rule):
        return {
            AndRule: "and",
            OrRule: "or",
            NotRule: "not",
            AttributeRule: "attribute",
            FieldRule: "field",
            EventRule: "event",
            EntityRule: "entity",
        }.get(type(data))
    return None


Rule = Annotated[
    Annotated[AndRule, Tag("and")]
    | Annotated[OrRule, Tag("or")]
    | Annotated[NotRule, Tag("not")]
    | Annotated[AttributeRule, Tag("attribute")]
    | Annotated[FieldRule, Tag("field")]
    | Annotated[EventRule, Tag("event")]
    | Annotated[EntityRule, Tag("entity")],
    Discriminator(
        _rule_tag,
        custom_error_type="rule_kind",
        custom_error_message=(
            "a rule has exactly one of: and, or, not, attribute, field, event, entity"
        ),
    ),
]
AndRule.model_rebuild()
OrRule.model_rebuild()
NotRule.model_rebuild()


class _Root(BaseModel):
    rule: Rule


def children(rule: Rule) -> Sequence[Rule]:
    if isinstance(rule, AndRule):
        return rule.all_of
    if isinstance(rule, OrRule):
        return rule.any_of
    if isinstance(rule, NotRule):
        return [rule.negated]
    return []


def walk(rule: Rule) -> Iterator[Rule]:
    yield rule
    for child in children(rule):
        yield from walk(child)


def depth(rule: Rule) -> int:
    return 1 + max((depth(c) for c in children(rule)), default=0)


def dump_rule(rule: Rule) -> dict[str, Any]:
    """The canonical JSON form (aliases, no defaults), as stored."""
    return rule.model_dump(mode="json", by_alias=True, exclude_defaults=True)


def parse_rule(data: Any, *, root: str = "definition") -> tuple[Rule | None, list[Problem]]:
    """The rule if valid, and every problem with its path (`definition.and[1].value`)."""
    try:
        rule = _Root.model_validate({"rule": data}).rule
    except ValidationError as exc:
        found = (_problem(err, root) for err in exc.errors(include_url=False))
        return None, list(dict.fromkeys(found))  # pydantic repeats some per union member
    problems = []
    if depth(rule) > MAX_DEPTH:
        problems.append(Problem(path=root, message=f"rules nest at most {MAX_DEPTH} deep"))
    if sum(1 for _ in walk(rule)) > MAX_RULES:
        problems.append(Problem(path=root, message=f"at most {MAX_RULES} rules"))
    return (None if problems else rule), problems


def _problem(err: Any, root: str) -> Problem:
    """pydantic's location without union tags: `rule.and.and.1.attribute.op` → `and[1].op`."""
    loc = list(err["loc"])[1:]  # drop "rule"
    parts: list[str | int] = [root]
    expect_tag = True
    message = err["msg"].removeprefix("Value error, ")
    for part in loc:
        if expect_tag and part in _TAGS:
            expect_tag = False
            continue
        if parts[-1] == "value" and part != "[key]" and not isinstance(part, int):
            message = _VALUE_TYPES  # a union member's name (`str`, `list[...]`)
            break
        parts.append(part)
        # A rule (and its tag) follows `not` and an item of `and` / `or`, not of `where`.
        expect_tag = part == "not" or (isinstance(part, int) and parts[-2] in ("and", "or"))
    if m := _FIELD_PREFIX.match(message):
        parts.append(m.group(1))
        message = message[m.end() :]
    if err["type"] == "missing":
        message = "required"
    elif err["type"] == "extra_forbidden":
        message = "unknown field"
    return Problem(path=format_path(parts), message=message)


_FIELD_PREFIX = re.compile(r"^(value|at_least|aggregate|on|field): ")
_VALUE_TYPES = "must be a string, a number, a boolean, or a list of them (in, not_in)"


# --- what a definition depends on ------------------------------------------------------


@dataclass(frozen=True)
class Dependencies:
    """The writes that can change membership (besides new profiles and the clock)."""

    attributes: frozenset[str] = field(default_factory=frozenset)
    fields: frozenset[str] = field(default_factory=frozenset)
    events: frozenset[str] = field(default_factory=frozenset)

    def rows(self) -> list[tuple[str, str]]:
        """(kind, name) pairs as stored in audience_dependencies."""
        return sorted(
            [("attribute", a) for a in self.attributes]
            + [("field", f) for f in self.fields]
            + [("event", e) for e in self.events]
        )


def dependencies(rule: Rule) -> Dependencies:
    attributes, fields, events = set(), set(), set()
    for node in walk(rule):
        if isinstance(node, AttributeRule):
            attributes.add(node.attribute)
        elif isinstance(node, FieldRule):
            fields.add(node.field)
        elif isinstance(node, EventRule):
            events.add(node.event)
    return Dependencies(frozenset(attributes), frozenset(fields), frozenset(events))


def time_relative(rule: Rule) -> bool:
    """True when membership can change with the clock alone: re-evaluated on a schedule."""
    for node in walk(rule):
        if isinstance(node, EventRule) and node.within is not None:
            return True
        if isinstance(node, EventRule):
            if any(_relative_comparison(p) for p in node.where):
                return True
        elif isinstance(node, AttributeRule) and _relative_comparison(node):
            return True
        if isinstance(node, EntityRule) and _relative_entity(node):
            return True
    return False


def _relative_entity(rule: EntityRule) -> bool:
    conditions = [*rule.where, *(rule.via.where if rule.via else [])]
    return rule.within is not None or any(_relative_comparison(c) for c in conditions)


def _relative_comparison(rule: Comparison | EntityCondition) -> bool:
    if rule.op in ("within_last", "within_next"):
        return True
    relative = isinstance(rule.value, str) and is_relative(rule.value)
    return rule.op in ("before", "after") and relative


# --- reference semantics ---------------------------------------------------------------


def json_equal(a: Any, b: Any) -> bool:
    """Equality of JSON values as Postgres jsonb has it: typed, numbers by value."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if _is_number(a) and _is_number(b):
        return bool(a == b)
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    return False


def compare(op: str, actual: Any, value: Any, now: datetime) -> bool:
    """One comparison on a stored JSON value (None: missing or null)."""
    if op in ("ne", "not_exists", "not_in"):
        positive = {"ne": "eq", "not_exists": "exists", "not_in": "in"}[op]
        return not compare(positive, actual, value, now)
    if actual is None:
        return False
    if op == "exists":
        return True
    if op == "eq":
        return json_equal(actual, value)
    if op == "in":
        return any(json_equal(actual, v) for v in value)
    if op in _ORDERED:
        if _is_number(value) and _is_number(actual):
            pass
        elif not (isinstance(value, str) and isinstance(actual, str)):
            return False
        return {
            "lt": actual < value,
            "lte": actual <= value,
            "gt": actual > value,
            "gte": actual >= value,
        }[op]
    if op == "contains":
        if isinstance(actual, str) and isinstance(value, str):
            return value in actual
        if isinstance(actual, list):
            return any(json_equal(item, value) for item in actual)
        return False
    if op == "starts_with":
        return isinstance(actual, str) and actual.startswith(value)
    moment = parse_date(actual)
    if moment is None:
        return False
    if op == "within_last":
        return now - parse_duration(value) <= moment <= now
    bound = resolve_moment(value, now)
    return moment < bound if op == "before" else moment > bound


@dataclass(frozen=True)
class EventFact:
    name: str
    ts: datetime
    properties: Mapping[str, Any]


def matches(
    rule: Rule,
    *,
    email: str | None,
    phone: str | None,
    timezone: str | None,
    attributes: Mapping[str, Any],
    events: Sequence[EventFact],
    now: datetime,
    entity: Callable[[EntityRule], bool] | None = None,
) -> bool:
    """The reference semantics of a rule for one profile (the SQL must agree with it).

    `entity` answers an entity rule for this profile (`audiences.entity_reference`).
    """

    def ev(node: Rule) -> bool:
        if isinstance(node, AndRule):
            return all(ev(c) for c in node.all_of)
        if isinstance(node, OrRule):
            return any(ev(c) for c in node.any_of)
        if isinstance(node, NotRule):
            return not ev(node.negated)
        if isinstance(node, AttributeRule):
            return compare(node.op, attributes.get(node.attribute), node.value, now)
        if isinstance(node, FieldRule):
            contact = {"email": email, "phone": phone, "timezone": timezone}[node.field]
            return compare(node.op, contact, node.value, now)
        if isinstance(node, EntityRule):
            if entity is None:
                raise ValueError("an entity rule needs the entity records")
            return entity(node)
        assert isinstance(node, EventRule)
        since = now - parse_duration(node.within) if node.within else None
        count = sum(
            1
            for e in events
            if e.name == node.event
            and (since is None or e.ts >= since)
            and all(compare(p.op, e.properties.get(p.property), p.value, now) for p in node.where)
        )
        low = node.minimum
        return (low is None or count >= low) and (node.at_most is None or count <= node.at_most)

    return ev(rule)


def canonical_json(value: Any) -> str:
    """JSON text of a rule value, as bound into SQL."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False)
