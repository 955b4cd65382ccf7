"""The field types every part of a journey definition is built from.

Definitions are written in YAML or JSON by people, so every model forbids unknown keys
(a typo is an error, not a silently ignored field) and durations stay strings (they
round-trip and the JSON Schema shows them as ISO 8601 strings). The node types
(`journeys.nodes`) and the journey itself (`journeys.model`) share these.

The JSON Schema carries hints for the console's designer, which builds its forms from the
schema alone: `format: duration` (an ISO 8601 duration), `x-wayline-kind` (`expression`: a
Jinja2 expression; `template`: a Jinja2 template) and `x-wayline-ref` (the value names
something else: a node, a template, an action, a data source, an audience, a journey, a
decision, an event). They are set here, on the types, so every field of a kind says so.
"""

from __future__ import annotations

import re
from datetime import time
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from journeys.durations import DURATION_PATTERN, duration_upper_bound, parse_duration

SLUG_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
NODE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$"
FIELD_ERROR = "wayline_field"  # a model-level error that belongs to one field (ctx["field"])


REF_HINT = "x-wayline-ref"
KIND_HINT = "x-wayline-kind"


def refers_to(kind: str) -> dict[str, Any]:
    """The schema hint of a field naming a `kind` of thing, which the designer picks from a list."""
    return {REF_HINT: kind}


def written_as(kind: Literal["expression", "template"]) -> dict[str, Any]:
    """The schema hint of a Jinja2 string, which the designer edits as code with completion."""
    return {KIND_HINT: kind}


def field_error(field: str, message: str) -> PydanticCustomError:
    """A model-validator error that `journeys.validate` reports at `<model path>.<field>`."""
    return PydanticCustomError(FIELD_ERROR, message, {"field": field})


def _check_duration(value: str) -> str:
    try:
        parse_duration(value)
    except ValueError as exc:
        raise PydanticCustomError("duration", str(exc)) from None
    return value


def _check_positive(value: str) -> str:
    if duration_upper_bound(value).total_seconds() <= 0:
        raise PydanticCustomError("duration", "must be longer than zero")
    return value


def _check_clock(value: str) -> str:
    if not isinstance(value, str) or not _CLOCK_RE.match(value):
        raise PydanticCustomError("clock_time", "must be a time of day as HH:MM, e.g. 09:00")
    return value


def _check_timezone(value: str) -> str:
    if zone(value) is None:
        message = "unknown timezone {name}; use an IANA name such as Europe/Paris"
        raise PydanticCustomError("timezone", message, {"name": repr(value)})
    return value


def zone(name: str | None) -> ZoneInfo | None:
    """The IANA timezone `name`, or None if it is missing or unknown (no error)."""
    if not name or not isinstance(name, str) or len(name) > 100:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def clock(value: str) -> time:
    """An `HH:MM` string (already validated) as a `time`."""
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


_CLOCK_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
_CLOCK_RE = re.compile(_CLOCK_PATTERN)
_DURATION_SCHEMA = {
    "type": "string",
    "format": "duration",
    "pattern": DURATION_PATTERN,
    "examples": ["PT30M", "PT1H", "P1D", "P2W", "P1M"],
}
DurationStr = Annotated[str, AfterValidator(_check_duration), WithJsonSchema(_DURATION_SCHEMA)]
PositiveDurationStr = Annotated[
    str,
    AfterValidator(_check_duration),
    AfterValidator(_check_positive),
    WithJsonSchema(_DURATION_SCHEMA),
]
ClockStr = Annotated[
    str,
    AfterValidator(_check_clock),
    WithJsonSchema({"type": "string", "pattern": _CLOCK_PATTERN, "examples": ["09:00", "21:30"]}),
]
TimezoneStr = Annotated[
    str,
    AfterValidator(_check_timezone),
    WithJsonSchema(
        {
            "type": "string",
            "minLength": 1,
            "maxLength": 100,
            "examples": ["UTC", "Europe/Paris", "America/New_York"],
        }
    ),
]
ExpressionStr = Annotated[
    str, Field(min_length=1, max_length=10_000, json_schema_extra=written_as("expression"))
]


def _literal_as_expression(value: Any) -> Any:
    """`increment: {nudges: 1}` in YAML gives a number: read it as the expression "1"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return value


ValueExpressionStr = Annotated[
    ExpressionStr,
    BeforeValidator(_literal_as_expression),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "minLength": 1, "maxLength": 10_000},
                {"type": "number"},
                {"type": "boolean"},
            ],
            **written_as("expression"),
        }
    ),
]
NodeName = Annotated[str, Field(min_length=1, max_length=63)]
# A node's way out to another node: the designer draws an edge for every field of this type
# (the hint), so a new node type's slots need no UI code.
NodeRef = Annotated[NodeName, Field(json_schema_extra={"x-wayline-ref": "node"})]
NodeId = Annotated[str, Field(pattern=NODE_ID_PATTERN)]
EventName = Annotated[
    str, Field(min_length=1, max_length=200, json_schema_extra=refers_to("event"))
]
Weight = Annotated[int, Field(strict=True, ge=0, le=100)]
BranchName = Annotated[str, Field(min_length=1, max_length=63)]
ResourceName = Annotated[str, Field(min_length=1, max_length=200)]
ActionName = Annotated[ResourceName, Field(json_schema_extra=refers_to("action"))]
DataSourceName = Annotated[ResourceName, Field(json_schema_extra=refers_to("data_source"))]
DecisionId = Annotated[ResourceName, Field(json_schema_extra=refers_to("decision"))]
AudienceId = Annotated[ResourceName, Field(json_schema_extra=refers_to("audience"))]
TemplateName = Annotated[str, Field(min_length=1, json_schema_extra=refers_to("template"))]
JourneyRef = Annotated[str, Field(pattern=SLUG_PATTERN, json_schema_extra=refers_to("journey"))]
AttributeName = Annotated[str, Field(min_length=1, max_length=200)]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class DefinitionModel(BaseModel):
    """Base of every model of the definition language: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")


def check_weights(field: str, weights: list[int], names: list[str]) -> None:
    """Weighted paths (split, experiment): weights add up to 100, names are unique."""
    total = sum(weights)
    if total != 100:
        raise field_error(field, f"weights must add up to 100, not {total}")
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise field_error(field, f"names must be unique: {', '.join(duplicates)}")


Params = Annotated[
    dict[str, Any], Field(json_schema_extra={"additionalProperties": written_as("template")})
]
PARAMS_DESCRIPTION = (
    "Parameters by name: a string is a Jinja2 template rendered with the journey context "
    '(e.g. "{{ profile.email }}"); other values are passed as they are.'
)
