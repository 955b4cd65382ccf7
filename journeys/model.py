"""The journey definition language: how profiles enter, the graph they walk, when they leave.

The node types are `journeys.nodes` (one module each); the `Node` union is built from
their table. Graph checks that need the whole definition (targets, reachability, cycles,
expressions) live in `journeys.validate`; the models check only what one object can check
alone. `Event` and `Profile`, the runtime data definitions read, are defined in
`journeys.records` (so the node types can use them) and are part of this module's
public names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal, Union

from pydantic import (
    AfterValidator,
    AwareDatetime,
    ConfigDict,
    Field,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from journeys.cron import cron_problem
from journeys.fields import (
    SLUG_PATTERN,
    AudienceId,
    DefinitionModel,
    DurationStr,
    EventName,
    ExpressionStr,
    NodeId,
    NodeRef,
    PositiveDurationStr,
    TimezoneStr,
    field_error,
)
from journeys.nodes import NODE_KINDS
from journeys.records import Event, Profile

__all__ = [
    "AUDIENCE_ENTERED",
    "AUDIENCE_EXITED",
    "AUDIENCE_RUN",
    "DEFAULT_TIMEOUT",
    "NODE_TYPES",
    "ONCE",
    "AudienceEntry",
    "EntryCap",
    "EntrySpec",
    "EntryWindow",
    "Event",
    "JourneyDefinition",
    "Node",
    "Profile",
    "ReentrySpec",
]

DEFAULT_TIMEOUT = "P90D"  # a journey's timeout when the definition gives none

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


class AudienceEntry(DefinitionModel):
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


class EntrySpec(DefinitionModel):
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
    key: ExpressionStr | None = Field(
        default=None,
        description="Keyed journey: a Jinja2 expression over the event, e.g. "
        '"event.properties.cart_id". A profile is in the journey once per key at a time; '
        "later events reach only the instance whose key they carry, and an event without "
        "it enters none and reaches none. Sees only `event`; its value must be a non-empty "
        "string or an integer. Not with audience entry.",
    )

    @model_validator(mode="after")
    def _event_xor_audience(self) -> EntrySpec:
        if self.event is not None and self.audience is not None:
            raise field_error("audience", "give either event or audience, not both")
        if self.event is None and self.audience is None:
            raise field_error("event", "required (or give audience)")
        if self.key is not None and self.audience is not None:
            raise field_error(
                "key", "only with event entry: audience events carry no key of their own"
            )
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


class ReentrySpec(DefinitionModel):
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


NODE_TYPES = tuple(NODE_KINDS)
if TYPE_CHECKING:
    from journeys.nodes.base import NodeModel as Node
else:
    Node = Annotated[
        Union[tuple(kind.model for kind in NODE_KINDS.values())],  # noqa: UP007
        Field(discriminator="type"),
    ]


class EntryWindow(DefinitionModel):
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


class EntryCap(DefinitionModel):
    """Limits on entries, enforced when a profile enters."""

    per_day: int | None = Field(
        default=None, ge=1, description="At most this many entries per day (UTC)."
    )
    max_inside: int | None = Field(
        default=None, ge=1, description="At most this many profiles inside at once."
    )


class JourneyDefinition(DefinitionModel):
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
        default=DEFAULT_TIMEOUT,
        description="ISO 8601 duration; the journey ends (timed out) after it.",
    )
    dry_run: bool = Field(
        default=False,
        description="Walk the journey without real sends or actions (for testing).",
    )
    start: NodeRef = Field(description="Id of the first node.")
    nodes: dict[NodeId, Node] = Field(min_length=1, description="The nodes by id.")

    @model_validator(mode="after")
    def _keyed_exits(self) -> JourneyDefinition:
        if self.entry.key is not None and self.exit_on_audience:
            raise field_error(
                "exit_on_audience",
                "not with entry.key: an audience.exited event carries no key, so it would "
                "reach none of the instances; use exit_on with an event that carries the key",
            )
        return self
