"""`wait`: pause for a duration, until a computed or fixed time, or until a weekday and hour.

A wait whose end is already past passes straight through; every wait ends at the journey
deadline at the latest.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, Field, model_validator

from journeys.clock import next_weekday, timezone_for
from journeys.expressions import CONTEXT_NAMES, aware
from journeys.fields import (
    WEEKDAYS,
    ClockStr,
    DefinitionModel,
    DurationStr,
    ExpressionStr,
    NodeRef,
    TimezoneStr,
    Weekday,
    clock,
    field_error,
)
from journeys.nodes.base import Expression, NodeModel, NodeType, Raw, waits_a_while
from journeys.nodes.context import StepContext
from journeys.nodes.errors import FieldPath
from journeys.nodes.values import as_datetime
from journeys.runtime import Command, JourneyState, LoadProfile


class NextWeekday(DefinitionModel):
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


class WaitNode(NodeModel):
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


class WaitType(NodeType[WaitNode]):
    model = WaitNode
    resumes = True  # it rests here while a profile an `until` reads is reloaded

    def edges(self, raw: Raw) -> list[FieldPath]:
        return [("next",)]

    def blocks(self, raw: Raw) -> bool:
        if raw.get("until") is not None or raw.get("next_weekday") is not None:
            return True
        if raw.get("until_time") is not None:
            return False  # a fixed time is passed for good after the first time round
        return waits_a_while(raw.get("duration"))

    def expressions(self, raw: Raw) -> Iterator[Expression]:
        if raw.get("until") is not None:
            yield ("until",), raw.get("until"), CONTEXT_NAMES

    def waits(self, raw: Raw) -> Iterator[tuple[str, object]]:
        yield "duration", raw.get("duration")

    def act(self, node: WaitNode, ctx: StepContext) -> str | None:
        if node.until is not None and ctx.needs_profile([node.until]):
            return None  # LoadProfile first
        until = self._until(node, ctx)
        if until <= ctx.now:
            ctx.leave("passed")
            return node.next
        ctx.block(until)
        return None

    def _until(self, node: WaitNode, ctx: StepContext) -> datetime:
        if node.until is not None:
            return as_datetime(ctx.evaluate(node.until, ("until",)), ("until",))
        if node.until_time is not None:
            return aware(node.until_time)
        if node.next_weekday is not None:
            spec = node.next_weekday
            tz = timezone_for(spec.timezone, ctx.state.profile)
            return next_weekday(ctx.now, spec.days, clock(spec.time), tz)
        return ctx.later(node.duration or "PT0S", ("duration",))

    def command(self, node: WaitNode, state: JourneyState) -> Command | None:
        return LoadProfile()  # it rests here only while waiting for a fresh profile

    def on_timer(self, node: WaitNode, ctx: StepContext) -> str | None:
        ctx.leave("elapsed")
        return node.next
