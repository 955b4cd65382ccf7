"""`message`: send one message through a channel, then go on; inside its quiet hours the
send first waits for the window to end (a new path step of the same visit, same message id).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import Field, model_validator

from journeys.clock import quiet_hours_end, timezone_for
from journeys.fields import ClockStr, DefinitionModel, NodeRef, TimezoneStr, clock, field_error
from journeys.nodes.base import Catalogs, Finding, NodeModel, NodeType, Raw, position
from journeys.nodes.context import StepContext
from journeys.nodes.errors import FieldPath
from journeys.runtime import (
    DEFERRED,
    Command,
    Input,
    JourneyState,
    MessageSent,
    PathStep,
    SendMessage,
)


class QuietHours(DefinitionModel):
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


class MessageNode(NodeModel):
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


class MessageType(NodeType[MessageNode]):
    model = MessageNode

    def edges(self, raw: Raw) -> list[FieldPath]:
        return [("next",)]

    def catalog_problems(self, raw: Raw, catalogs: Catalogs) -> Iterator[Finding]:
        channel, template = raw.get("channel"), raw.get("template")
        channels, templates = catalogs.channels, catalogs.templates
        if channels is not None and isinstance(channel, str) and channel not in channels:
            known = ", ".join(sorted(channels)) or "none"
            yield ("channel",), f"unknown channel {channel!r}; known: {known}"
        if templates is not None and isinstance(template, str) and template not in templates:
            yield ("template",), f"unknown template {template!r}"

    def act(self, node: MessageNode, ctx: StepContext) -> str | None:
        """Defer the send to the end of the quiet hours if the journey is inside them."""
        hours = node.quiet_hours
        if hours is None:
            return None  # SendMessage is pending
        tz = timezone_for(hours.timezone, ctx.state.profile)
        until = quiet_hours_end(ctx.now, clock(hours.start), clock(hours.end), tz)
        if until is not None:
            ctx.leave(DEFERRED, kind=None)  # not a way out: the visit goes on
            ctx.block(until)
        return None

    def command(self, node: MessageNode, state: JourneyState) -> Command | None:
        node_id, visit = position(state)
        return SendMessage(node=node_id, channel=node.channel, template=node.template, visit=visit)

    def on_timer(self, node: MessageNode, ctx: StepContext) -> str | None:
        """The quiet hours are over: the send (same visit, same message id) is pending."""
        ctx.add_step(PathStep(node=ctx.node_id, type=node.type, entered_at=ctx.now))
        return None

    def on_result(self, node: MessageNode, ctx: StepContext, inp: Input) -> str | None:
        if not isinstance(inp, MessageSent):
            return None
        ctx.state.messages[inp.node] = inp.message_id
        ctx.leave(f"{inp.status} {inp.message_id}")
        return node.next
