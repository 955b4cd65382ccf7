"""The journey definition language and the runtime data it reads (events, profiles).

Definitions are written in YAML or JSON by people, so every model forbids unknown keys
(a typo is an error, not a silently ignored field) and durations stay strings (they
round-trip and the JSON Schema shows them as ISO 8601 strings). Graph checks that need
the whole definition (targets, reachability, cycles, expressions) live in
`journeys.validate`; the models check only what one object can check alone.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from journeys.durations import DURATION_PATTERN, duration_upper_bound, parse_duration

SLUG_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
NODE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$"
FIELD_ERROR = "wayline_field"  # a model-level error that belongs to one field (ctx["field"])


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
ExpressionStr = Annotated[str, Field(min_length=1, max_length=10_000)]
NodeRef = Annotated[str, Field(min_length=1, max_length=63)]
NodeId = Annotated[str, Field(pattern=NODE_ID_PATTERN)]
EventName = Annotated[str, Field(min_length=1, max_length=200)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EntrySpec(_Model):
    """Which event starts the journey for a profile."""

    event: EventName = Field(description="Name of the event that enters a profile.")
    when: ExpressionStr | None = Field(
        default=None,
        description="Jinja2 expression that must be true for the event to enter, "
        'e.g. "event.properties.total > 0". Sees `event`, `profile`, `now`.',
    )


class ReentrySpec(_Model):
    """Whether a profile may enter again after leaving (checked by the entry ledger)."""

    mode: Literal["never", "always", "after"] = Field(
        default="never",
        description="never: once per profile; always: whenever not inside; "
        "after: once `wait` has passed since the last entry.",
    )
    wait: DurationStr | None = Field(
        default=None, description="ISO 8601 duration; required iff mode is after."
    )

    @model_validator(mode="after")
    def _wait_iff_after(self) -> ReentrySpec:
        if self.mode == "after" and self.wait is None:
            raise field_error("wait", "required when mode is after")
        if self.mode != "after" and self.wait is not None:
            raise field_error("wait", "only allowed when mode is after")
        return self


class MessageNode(_Model):
    """Send one message through a channel, then go on."""

    type: Literal["message"]
    channel: str = Field(min_length=1, description="Channel name, e.g. email, sms, push.")
    template: str = Field(min_length=1, description="Name of a published message template.")
    next: NodeRef = Field(description="Node to go to once the send is done (or failed).")


class WaitNode(_Model):
    """Pause for a duration or until a computed time."""

    type: Literal["wait"]
    duration: DurationStr | None = Field(
        default=None, description="ISO 8601 duration, e.g. P1D. Exactly one of duration/until."
    )
    until: ExpressionStr | None = Field(
        default=None,
        description="Jinja2 expression giving a datetime or ISO 8601 string, "
        'e.g. "event.properties.delivery_at". A past time passes straight through.',
    )
    next: NodeRef = Field(description="Node to go to when the wait is over.")

    @model_validator(mode="after")
    def _duration_xor_until(self) -> WaitNode:
        if self.duration is not None and self.until is not None:
            raise field_error("until", "give either duration or until, not both")
        if self.duration is None and self.until is None:
            raise field_error("duration", "required (or give until)")
        return self


class Branch(_Model):
    """One arm of a condition: taken when `when` is true."""

    when: ExpressionStr = Field(description="Jinja2 expression, e.g. \"profile.plan == 'pro'\".")
    next: NodeRef = Field(description="Node to go to when `when` is true.")


class ConditionNode(_Model):
    """Branch on expressions, first true wins; never blocks."""

    type: Literal["condition"]
    branches: list[Branch] = Field(min_length=1, description="Evaluated in order.")
    otherwise: NodeRef = Field(description="Node to go to when no branch is true.")


class WaitForEventNode(_Model):
    """Wait for an event of the profile, or give up after `timeout`."""

    type: Literal["wait_for_event"]
    event: EventName = Field(description="Name of the awaited event.")
    when: ExpressionStr | None = Field(
        default=None,
        description="Jinja2 expression filtering the received event, available as `received` "
        "(and as `events[<name>]`); `event` stays the entry event.",
    )
    timeout: DurationStr = Field(description="ISO 8601 duration to wait at most.")
    on_event: NodeRef = Field(description="Node to go to when the event arrives.")
    on_timeout: NodeRef = Field(description="Node to go to when the timeout passes first.")


class EndNode(_Model):
    """The journey completes here."""

    type: Literal["end"]


Node = Annotated[
    MessageNode | WaitNode | ConditionNode | WaitForEventNode | EndNode,
    Field(discriminator="type"),
]
NODE_TYPES = ("message", "wait", "condition", "wait_for_event", "end")


class JourneyDefinition(_Model):
    """A journey: how profiles enter, the graph they walk, and when they leave."""

    model_config = ConfigDict(extra="forbid", title="Wayline journey definition")

    id: str = Field(pattern=SLUG_PATTERN, description="Slug, e.g. abandoned-cart.")
    name: str = Field(min_length=1, max_length=200, description="Human-readable name.")
    description: str | None = Field(default=None, description="Free text for people.")
    entry: EntrySpec = Field(description="The event (and filter) that enters a profile.")
    reentry: ReentrySpec = Field(
        default_factory=ReentrySpec, description="Whether a profile may enter again."
    )
    exit_on: list[EventName] = Field(
        default_factory=list, description="Events that end the journey wherever it is."
    )
    timeout: PositiveDurationStr = Field(
        default="P90D", description="ISO 8601 duration; the journey ends (timed out) after it."
    )
    start: NodeRef = Field(description="Id of the first node.")
    nodes: dict[NodeId, Node] = Field(min_length=1, description="The nodes by id.")


class Event(BaseModel):
    """An event of a profile, as stored by the ingest outbox and fed to journeys."""

    event_id: str
    name: str
    profile_id: str
    timestamp: AwareDatetime
    properties: dict[str, Any] = Field(default_factory=dict)


class Profile(BaseModel):
    """The profile fields expressions and channels read."""

    profile_id: str
    email: str | None = None
    phone: str | None = None
    timezone: str | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)
