"""The journey definition language and the runtime data it reads (events, profiles).

Definitions are written in YAML or JSON by people, so every model forbids unknown keys
(a typo is an error, not a silently ignored field) and durations stay strings (they
round-trip and the JSON Schema shows them as ISO 8601 strings). Graph checks that need
the whole definition (targets, reachability, cycles, expressions) live in
`journeys.validate`; the models check only what one object can check alone.
"""

from __future__ import annotations

import re
from datetime import time
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from journeys.cron import cron_problem
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
ExpressionStr = Annotated[str, Field(min_length=1, max_length=10_000)]


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
            ]
        }
    ),
]
NodeRef = Annotated[str, Field(min_length=1, max_length=63)]
NodeId = Annotated[str, Field(pattern=NODE_ID_PATTERN)]
EventName = Annotated[str, Field(min_length=1, max_length=200)]
Weight = Annotated[int, Field(strict=True, ge=0, le=100)]
BranchName = Annotated[str, Field(min_length=1, max_length=63)]
ResourceName = Annotated[str, Field(min_length=1, max_length=200)]
AttributeName = Annotated[str, Field(min_length=1, max_length=200)]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


# The internal events of audience membership (the shared audience contract): the audience
# code writes them to the event outbox with properties {"audience_id": <id>}.
AUDIENCE_ENTERED = "audience.entered"
AUDIENCE_EXITED = "audience.exited"
# The entry event a read-audience run hands to each member (never stored in the outbox).
AUDIENCE_RUN = "audience.run"
ONCE = "once"


def _check_schedule(value: str) -> str:
    if value != ONCE and (problem := cron_problem(value)) is not None:
        raise PydanticCustomError(
            "schedule", 'must be "once" or a cron expression: {problem}', {"problem": problem}
        )
    return value


AudienceId = Annotated[str, Field(min_length=1, max_length=200)]
ScheduleStr = Annotated[
    str,
    AfterValidator(_check_schedule),
    WithJsonSchema(
        {
            "type": "string",
            "minLength": 1,
            "maxLength": 200,
            "examples": ["once", "0 9 * * MON", "30 8 1 * *", "@daily"],
        }
    ),
]


class AudienceEntry(_Model):
    """Entry by audience membership: in real time (`on`) or at scheduled runs (`schedule`)."""

    id: AudienceId = Field(description="Id of the audience, e.g. vip.")
    on: Literal["enter", "exit"] | None = Field(
        default=None,
        description="Real time: a profile enters the journey when it enters (or exits) the "
        "audience (the audience.entered / audience.exited event). Exactly one of on and "
        "schedule.",
    )
    schedule: ScheduleStr | None = Field(
        default=None,
        description='Read audience: "once" (one run at publish) or a cron expression '
        '(minute hour day-of-month month day-of-week, e.g. "0 9 * * MON"); at each run '
        "every current member enters.",
    )
    timezone: TimezoneStr | None = Field(
        default=None, description="IANA timezone of a cron schedule; default UTC."
    )

    @model_validator(mode="after")
    def _on_xor_schedule(self) -> AudienceEntry:
        if self.on is not None and self.schedule is not None:
            raise field_error("schedule", "give either on (real time) or schedule, not both")
        if self.on is None and self.schedule is None:
            raise field_error(
                "on", 'required: on: enter|exit (real time) or schedule: <cron>|"once"'
            )
        if self.timezone is not None and (self.schedule is None or self.schedule == ONCE):
            raise field_error("timezone", "only allowed with a cron schedule")
        return self

    @property
    def scheduled(self) -> bool:
        return self.schedule is not None


class EntrySpec(_Model):
    """Which event, or which audience, starts the journey for a profile."""

    event: EventName | None = Field(
        default=None,
        description="Name of the event that enters a profile. Exactly one of event and audience.",
    )
    audience: AudienceEntry | None = Field(
        default=None,
        description="Enter by audience membership, e.g. {id: vip, on: enter} or "
        '{id: vip, schedule: "0 9 * * MON", timezone: Europe/Paris}.',
    )
    when: ExpressionStr | None = Field(
        default=None,
        description="Jinja2 expression that must be true for the event to enter, "
        'e.g. "event.properties.total > 0". Sees `event`, `profile`, `now`.',
    )

    @model_validator(mode="after")
    def _event_xor_audience(self) -> EntrySpec:
        if self.event is not None and self.audience is not None:
            raise field_error("audience", "give either event or audience, not both")
        if self.event is None and self.audience is None:
            raise field_error("event", "required (or give audience)")
        return self

    @property
    def event_name(self) -> str:
        """The name of the entry event a profile enters with."""
        if self.audience is None:
            return str(self.event)
        if self.audience.scheduled:
            return AUDIENCE_RUN
        return AUDIENCE_ENTERED if self.audience.on == "enter" else AUDIENCE_EXITED

    @property
    def realtime_event(self) -> str | None:
        """The name of the routed event that enters a profile; None for a read audience."""
        if self.audience is not None and self.audience.scheduled:
            return None
        return self.event_name


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


class QuietHours(_Model):
    """A daily window in which a message is held back until the window ends."""

    start: ClockStr = Field(description="Start of the window, HH:MM local time, e.g. 21:00.")
    end: ClockStr = Field(
        description="End of the window, HH:MM local time, e.g. 08:00; may be earlier than "
        "start (the window then wraps midnight). The end itself is outside the window."
    )
    timezone: TimezoneStr | None = Field(
        default=None,
        description="IANA timezone of start and end; default: the profile's timezone "
        "(as last loaded), else UTC.",
    )

    @model_validator(mode="after")
    def _not_empty(self) -> QuietHours:
        if self.start == self.end:
            raise field_error("end", "must differ from start")
        return self


class MessageNode(_Model):
    """Send one message through a channel, then go on."""

    type: Literal["message"]
    channel: str = Field(min_length=1, description="Channel name, e.g. email, sms, push.")
    template: str = Field(min_length=1, description="Name of a published message template.")
    next: NodeRef = Field(description="Node to go to once the send is done (or failed).")
    quiet_hours: QuietHours | None = Field(
        default=None,
        description="If the journey gets here inside this daily window, the send waits until "
        "the window ends (exit_on events still apply meanwhile).",
    )


class NextWeekday(_Model):
    """The next time of day on one of the given weekdays."""

    days: list[Weekday] = Field(
        default_factory=lambda: list(WEEKDAYS),
        min_length=1,
        max_length=7,
        description="Allowed weekdays (mon..sun); default: every day.",
    )
    time: ClockStr = Field(description="Time of day, HH:MM local time, e.g. 09:00.")
    timezone: TimezoneStr | None = Field(
        default=None,
        description="IANA timezone of `time`; default: the profile's timezone "
        "(as last loaded), else UTC.",
    )


class WaitNode(_Model):
    """Pause for a duration, until a computed or fixed time, or until a weekday and hour."""

    type: Literal["wait"]
    duration: DurationStr | None = Field(
        default=None,
        description="ISO 8601 duration, e.g. P1D. Exactly one of duration, until, "
        "until_time and next_weekday.",
    )
    until: ExpressionStr | None = Field(
        default=None,
        description="Jinja2 expression giving a datetime or ISO 8601 string, "
        'e.g. "event.properties.delivery_at". A past time passes straight through.',
    )
    until_time: AwareDatetime | None = Field(
        default=None,
        description="A fixed date-time with its offset, e.g. 2026-12-24T09:00:00+01:00. "
        "A past time passes straight through; a time after the journey deadline ends "
        "the journey timed out (not checked at publish).",
    )
    next_weekday: NextWeekday | None = Field(
        default=None,
        description="Wait for the next occurrence (strictly after now) of `time` on one of "
        'the `days`, e.g. {days: [mon, tue, wed, thu, fri], time: "09:00"}.',
    )
    next: NodeRef = Field(description="Node to go to when the wait is over.")

    @model_validator(mode="after")
    def _exactly_one(self) -> WaitNode:
        given = [f for f in WAIT_FIELDS if getattr(self, f) is not None]
        if given == ["duration", "until"]:
            raise field_error("until", "give either duration or until, not both")
        if len(given) > 1:
            raise field_error(given[1], f"give only one of {', '.join(WAIT_FIELDS)}")
        if not given:
            raise field_error(
                "duration", "required (or give until), or until_time, or next_weekday"
            )
        return self


WAIT_FIELDS = ("duration", "until", "until_time", "next_weekday")


class Branch(_Model):
    """One arm of a condition: taken when `when` is true."""

    when: ExpressionStr = Field(description="Jinja2 expression, e.g. \"profile.plan == 'pro'\".")
    next: NodeRef = Field(description="Node to go to when `when` is true.")


class ConditionNode(_Model):
    """Branch on expressions, first true wins; never blocks."""

    type: Literal["condition"]
    branches: list[Branch] = Field(min_length=1, description="Evaluated in order.")
    otherwise: NodeRef = Field(description="Node to go to when no branch is true.")
    refresh: bool = Field(
        default=False,
        description="Reload the profile before evaluating, even if it was loaded recently "
        "(by default it is reloaded only after a wait, and only if a branch reads it).",
    )


class Reaction(_Model):
    """A reaction of the profile to a message this journey sent."""

    to: NodeRef = Field(description="Id of the message node whose message is reacted to.")
    kind: Literal["opened", "clicked", "delivered", "failed"] = Field(
        description="Awaits the event message.<kind> whose properties.message_id is the id "
        "of the message last sent at `to` in this run."
    )

    @property
    def event(self) -> str:
        return f"message.{self.kind}"


class WaitForEventNode(_Model):
    """Wait for an event of the profile, or give up after `timeout`."""

    type: Literal["wait_for_event"]
    event: EventName | None = Field(
        default=None, description="Name of the awaited event. Exactly one of event and reaction."
    )
    reaction: Reaction | None = Field(
        default=None,
        description="Await a reaction (opened, clicked, delivered, failed) to the message sent "
        "at a message node of this journey, instead of a named event.",
    )
    when: ExpressionStr | None = Field(
        default=None,
        description="Jinja2 expression filtering the received event, available as `received` "
        "(and as `events[<name>]`); `event` stays the entry event.",
    )
    timeout: DurationStr = Field(description="ISO 8601 duration to wait at most.")
    on_event: NodeRef = Field(description="Node to go to when the event arrives.")
    on_timeout: NodeRef = Field(description="Node to go to when the timeout passes first.")

    @model_validator(mode="after")
    def _event_xor_reaction(self) -> WaitForEventNode:
        if self.event is not None and self.reaction is not None:
            raise field_error("reaction", "give either event or reaction, not both")
        if self.event is None and self.reaction is None:
            raise field_error("event", "required (or give reaction)")
        return self

    @property
    def awaited(self) -> str:
        """The name of the awaited event (`message.<kind>` for a reaction)."""
        return self.reaction.event if self.reaction is not None else str(self.event)


def _check_weights(field: str, weights: list[int], names: list[str]) -> None:
    total = sum(weights)
    if total != 100:
        raise field_error(field, f"weights must add up to 100, not {total}")
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise field_error(field, f"names must be unique: {', '.join(duplicates)}")


class SplitPath(_Model):
    """One path of a split, taken by `weight` percent of the profiles."""

    name: BranchName = Field(description="Name of the path, for reports (unique in the node).")
    weight: Weight = Field(
        description="Percentage of profiles (integer); the node's add up to 100."
    )
    next: NodeRef = Field(description="Node to go to on this path.")


class SplitNode(_Model):
    """Send profiles down weighted paths (A/B split), deterministically; never blocks."""

    type: Literal["split"]
    paths: list[SplitPath] = Field(
        min_length=1, description="The paths; weights are integers adding up to 100."
    )
    sticky: bool = Field(
        default=True,
        description="true: a profile always takes the same path here (hash of journey, "
        "profile and node); false: drawn again on every entry and every visit.",
    )

    @model_validator(mode="after")
    def _weights(self) -> SplitNode:
        _check_weights("paths", [p.weight for p in self.paths], [p.name for p in self.paths])
        return self


class Variant(_Model):
    """One variant of an experiment."""

    name: BranchName = Field(description="Variant name, recorded in the assignment ledger.")
    weight: Weight = Field(description="Percentage of profiles (integer).")
    next: NodeRef = Field(description="Node to go to for this variant.")


class Holdout(_Model):
    """The holdout (control) group of an experiment."""

    weight: Weight = Field(description="Percentage of profiles (integer).")
    next: NodeRef = Field(description="Node to go to for the holdout group.")


HOLDOUT = "holdout"  # the variant name recorded for the holdout group


class ExperimentNode(_Model):
    """Assign the profile to a variant (stable per profile), record it, go on."""

    type: Literal["experiment"]
    variants: list[Variant] = Field(
        min_length=1,
        description="The variants; their weights plus the holdout's add up to 100.",
    )
    holdout: Holdout | None = Field(
        default=None,
        description='Optional holdout group, recorded as variant "holdout".',
    )

    @model_validator(mode="after")
    def _weights(self) -> ExperimentNode:
        names = [v.name for v in self.variants]
        if self.holdout is not None and HOLDOUT in names:
            raise field_error("variants", f"{HOLDOUT!r} is reserved for the holdout group")
        weights = [v.weight for v in self.variants]
        if self.holdout is not None:
            weights.append(self.holdout.weight)
        _check_weights("variants", weights, names)
        return self


Params = dict[str, Any]
_PARAMS_DESCRIPTION = (
    "Parameters by name: a string is a Jinja2 template rendered with the journey context "
    '(e.g. "{{ profile.email }}"); other values are passed as they are.'
)


class ActionNode(_Model):
    """Call a custom action (e.g. an HTTP endpoint); its response lands in `vars.<node id>`."""

    type: Literal["action"]
    action: ResourceName = Field(description="Name of a published action resource.")
    params: Params = Field(default_factory=dict, description=_PARAMS_DESCRIPTION)
    next: NodeRef = Field(description="Node to go to when the action succeeded.")
    on_error: NodeRef | None = Field(
        default=None,
        description="Node to go to when the action failed (`vars.<node id>.error` says why); "
        "without it a failure ends the journey errored.",
    )


class FetchNode(_Model):
    """Read data from a data source; the result lands in `vars.<node id>`."""

    type: Literal["fetch"]
    source: ResourceName = Field(description="Name of a published data source resource.")
    params: Params = Field(default_factory=dict, description=_PARAMS_DESCRIPTION)
    next: NodeRef = Field(description="Node to go to when the data was read.")
    on_error: NodeRef | None = Field(
        default=None,
        description="Node to go to when the read failed (`vars.<node id>.error` says why); "
        "without it a failure ends the journey errored.",
    )


class UpdateProfileNode(_Model):
    """Set or increment profile attributes, then go on with the updated profile."""

    type: Literal["update_profile"]
    set: dict[AttributeName, ValueExpressionStr] = Field(
        default_factory=dict,
        description="Attribute → Jinja2 expression of its new value, e.g. "
        '{tier: "\'gold\'", last_order: "event.properties.order_id"}; '
        "a number or boolean is taken as it is.",
    )
    increment: dict[AttributeName, ValueExpressionStr] = Field(
        default_factory=dict,
        description="Attribute → Jinja2 expression of a number to add, e.g. {nudges: 1}.",
    )
    next: NodeRef = Field(description="Node to go to once the profile is updated.")

    @model_validator(mode="after")
    def _something(self) -> UpdateProfileNode:
        if not self.set and not self.increment:
            raise field_error("set", "give set or increment (or both)")
        both = sorted(set(self.set) & set(self.increment))
        if both:
            raise field_error("increment", f"also in set: {', '.join(both)}")
        return self


class JumpNode(_Model):
    """Enter the profile into another journey; optionally end this one."""

    type: Literal["jump"]
    journey: str = Field(pattern=SLUG_PATTERN, description="Id of the journey to enter.")
    end: bool = Field(default=False, description="End this journey (completed) after the jump.")
    next: NodeRef | None = Field(
        default=None, description="Node to go to after the jump; required iff end is false."
    )

    @model_validator(mode="after")
    def _next_iff_not_end(self) -> JumpNode:
        if not self.end and self.next is None:
            raise field_error("next", "required unless end is true")
        if self.end and self.next is not None:
            raise field_error("next", "not allowed when end is true")
        return self


class EndNode(_Model):
    """The journey completes here."""

    type: Literal["end"]


Node = Annotated[
    MessageNode
    | WaitNode
    | ConditionNode
    | WaitForEventNode
    | EndNode
    | SplitNode
    | ExperimentNode
    | ActionNode
    | FetchNode
    | UpdateProfileNode
    | JumpNode,
    Field(discriminator="type"),
]
NODE_TYPES = (
    "message",
    "wait",
    "condition",
    "wait_for_event",
    "end",
    "split",
    "experiment",
    "action",
    "fetch",
    "update_profile",
    "jump",
)


class EntryWindow(_Model):
    """When entries are accepted (either bound may be left open)."""

    start: AwareDatetime | None = Field(
        default=None, description="No entry before this date-time (with offset)."
    )
    end: AwareDatetime | None = Field(
        default=None, description="No entry from this date-time (with offset) on."
    )

    @model_validator(mode="after")
    def _ordered(self) -> EntryWindow:
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise field_error("end", "must be after start")
        return self


class EntryCap(_Model):
    """Limits on entries, enforced when a profile enters."""

    per_day: int | None = Field(
        default=None, ge=1, description="At most this many entries per day (UTC)."
    )
    max_inside: int | None = Field(
        default=None, ge=1, description="At most this many profiles inside at once."
    )


class JourneyDefinition(_Model):
    """A journey: how profiles enter, the graph they walk, and when they leave."""

    model_config = ConfigDict(extra="forbid", title="Wayline journey definition")

    id: str = Field(pattern=SLUG_PATTERN, description="Slug, e.g. abandoned-cart.")
    name: str = Field(min_length=1, max_length=200, description="Human-readable name.")
    description: str | None = Field(default=None, description="Free text for people.")
    entry: EntrySpec = Field(
        description="The event or audience (and filter) that enters a profile."
    )
    reentry: ReentrySpec = Field(
        default_factory=ReentrySpec, description="Whether a profile may enter again."
    )
    entry_window: EntryWindow | None = Field(
        default=None, description="Entries are accepted only between start and end."
    )
    entry_cap: EntryCap | None = Field(
        default=None, description="Caps on entries per day and on profiles inside at once."
    )
    exit_on: list[EventName] = Field(
        default_factory=list, description="Events that end the journey wherever it is."
    )
    exit_on_audience: list[AudienceId] = Field(
        default_factory=list,
        description="Audiences the profile must stay in: leaving one of them (the "
        "audience.exited event) ends the journey wherever it is, e.g. [vip].",
    )
    timeout: PositiveDurationStr = Field(
        default="P90D", description="ISO 8601 duration; the journey ends (timed out) after it."
    )
    dry_run: bool = Field(
        default=False,
        description="Walk the journey without real sends or actions (for testing).",
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
    audiences: list[str] = Field(
        default_factory=list, description="Ids of the audiences the profile is a member of"
    )
