"""`message`: send one message through a channel, then go on; inside its quiet hours the
send first waits for the window to end (a new path step of the same visit, same message id).

With `send_time`, the send first waits for the profile's likeliest hour to read within a
window, which the engagement model chooses (ChooseSendTime, engagement/choice.py); the quiet
hours are then judged at that time. A `holdout` share of profiles, chosen by a hash of
(journey, profile, node, visit), is sent at once, so the uplift can be measured; the message
ledger says which group each send was in.

With `per` (issue 17.4), the node sends one message per matching related record of the
profile (`per: {entity: booking, where: [...]}`): once the quiet hours allow the send, the
records are read by a command (SelectRecords) whose answer the history keeps, then each
record gets its own SendMessage, in key order, the record in the template's `entity`; the
node goes on once every record has its outcome (none: it goes on at once). Each message
counts against the profile's caps (architecture decision 24).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import Field, model_validator

from journeys.clock import quiet_hours_end, timezone_for
from journeys.durations import duration_upper_bound
from journeys.fields import (
    ClockStr,
    DefinitionModel,
    NodeRef,
    PositiveDurationStr,
    TemplateName,
    TimezoneStr,
    clock,
    field_error,
)
from journeys.nodes.base import Catalogs, Finding, NodeModel, NodeType, Raw, position
from journeys.nodes.buckets import bucket
from journeys.nodes.context import StepContext
from journeys.nodes.errors import FieldPath
from journeys.per_entity import PerEntity
from journeys.runtime import (
    DEFERRED,
    DEFERRED_SEND_TIME,
    ChooseSendTime,
    Command,
    Input,
    JourneyState,
    MessageSent,
    PathStep,
    RecordsSelected,
    Selection,
    SelectRecords,
    SendMessage,
    SendTimeChosen,
    SendTimeGroup,
)

MAX_SEND_TIME_WINDOW_DAYS = 7
"""A habit repeats weekly: a longer window can only find the same hours again, later."""


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


class SendTime(DefinitionModel):
    """Send when the profile is likeliest to read, within a window (send-time optimisation)."""

    optimize: Literal["opened", "clicked"] = Field(
        description="The engagement the send time is chosen for: opens or clicks."
    )
    within: PositiveDurationStr = Field(
        default="PT24H",
        description="The latest the send may go, after the journey arrives (at most P7D).",
    )
    holdout: float = Field(
        default=0.0,
        ge=0,
        le=0.5,
        description="Share of profiles sent at once instead, to measure the uplift (0 to 0.5).",
    )

    @model_validator(mode="after")
    def _at_most_a_week(self) -> SendTime:
        if duration_upper_bound(self.within).days > MAX_SEND_TIME_WINDOW_DAYS:
            raise field_error("within", f"must be at most P{MAX_SEND_TIME_WINDOW_DAYS}D")
        return self

    def within_seconds(self) -> float:
        return duration_upper_bound(self.within).total_seconds()


class MessageNode(NodeModel):
    """Send one message through a channel, then go on."""

    type: Literal["message"]
    channel: str = Field(min_length=1, description="Channel name, e.g. email, sms, push.")
    template: TemplateName = Field(description="Name of a published message template.")
    next: NodeRef = Field(description="Node to go to once the send is done (or failed).")
    quiet_hours: QuietHours | None = Field(
        default=None,
        description="If the journey gets here inside this daily window, the send waits until "
        "the window ends (exit_on events still apply meanwhile).",
    )
    send_time: SendTime | None = Field(
        default=None,
        description="Wait for the profile's likeliest hour to open or click, within a window; "
        "quiet hours are judged at that time.",
    )
    per: PerEntity | None = Field(
        default=None,
        description="Send one message per matching related record of the profile (e.g. each "
        "upcoming booking), the record in the template's `entity`; none matching: no message.",
    )

    @model_validator(mode="after")
    def _per_without_send_time(self) -> MessageNode:
        if self.per is not None and self.send_time is not None:
            raise field_error("send_time", "a per-entity message does not take send_time (yet)")
        return self


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
        """Choose the send time first if asked to; else the quiet hours decide."""
        if not choosing(node, ctx.state):  # else ChooseSendTime is pending
            quiet(node, ctx)
        return None

    def command(self, node: MessageNode, state: JourneyState) -> Command | None:
        node_id, visit = position(state)
        if node.per is not None:
            return _per_command(node, node.per, state)
        if choosing(node, state):
            assert node.send_time is not None
            return ChooseSendTime(
                node=node_id,
                goal=node.send_time.optimize,
                within_seconds=node.send_time.within_seconds(),
            )
        return SendMessage(
            node=node_id,
            channel=node.channel,
            template=node.template,
            visit=visit,
            send_time=group(node, state),
        )

    def on_timer(self, node: MessageNode, ctx: StepContext) -> str | None:
        """The chosen time or the quiet hours' end came: the send (same visit, same message id)
        is pending, unless that time is inside the quiet hours."""
        ctx.add_step(PathStep(node=ctx.node_id, type=node.type, entered_at=ctx.now))
        quiet(node, ctx)
        return None

    def on_result(self, node: MessageNode, ctx: StepContext, inp: Input) -> str | None:
        if node.per is not None:
            return _per_result(node, node.per, ctx, inp)
        if isinstance(inp, SendTimeChosen):
            ctx.state.send_times[inp.node] = inp.send_at
            if inp.send_at > ctx.now:
                ctx.leave(DEFERRED_SEND_TIME, kind=None)  # not a way out: the visit goes on
                ctx.block(inp.send_at)
            else:
                quiet(node, ctx)
            return None
        if not isinstance(inp, MessageSent):
            return None
        ctx.state.messages[inp.node] = inp.message_id
        ctx.state.send_times.pop(inp.node, None)
        ctx.leave(f"{inp.status} {inp.message_id}")
        return node.next


def selection(state: JourneyState) -> Selection | None:
    """The records of this visit of the node the journey is at, once they were read."""
    sel, (node_id, visit) = state.selection, position(state)
    return sel if sel is not None and (sel.node, sel.visit) == (node_id, visit) else None


def _per_command(node: MessageNode, per: PerEntity, state: JourneyState) -> Command:
    """Read the records first; then the message of the first record without an outcome."""
    node_id, visit = position(state)
    sel = selection(state)
    if sel is None:
        return SelectRecords(node=node_id, visit=visit, per=per)
    return SendMessage(
        node=node_id,
        channel=node.channel,
        template=node.template,
        visit=visit,
        entity=sel.current(),
    )


def _per_result(node: MessageNode, per: PerEntity, ctx: StepContext, inp: Input) -> str | None:
    """Records read: send to each in turn; each message's outcome moves to the next record,
    the last one to `next`."""
    state, (node_id, visit) = ctx.state, position(ctx.state)
    sel = selection(state)
    if isinstance(inp, RecordsSelected) and sel is None and inp.visit == visit:
        if inp.error is not None:  # as a failed send: the journey goes on
            ctx.leave(f"failed: {inp.error}")
            return node.next
        sel = Selection(node=node_id, visit=visit, entity=per.entity, records=inp.records)
        state.selection = sel
        return _per_done(node, ctx, sel) if not sel.records else None
    if not isinstance(inp, MessageSent) or sel is None:
        return None
    outcomes = dict(sel.outcomes)
    outcomes[inp.status] = outcomes.get(inp.status, 0) + 1
    sel = sel.model_copy(update={"done": sel.done + 1, "outcomes": outcomes})
    state.selection = sel
    state.messages[inp.node] = inp.message_id
    return _per_done(node, ctx, sel) if sel.done >= len(sel.records) else None


def _per_done(node: MessageNode, ctx: StepContext, sel: Selection) -> str:
    """Every record has its outcome: `2 booking: 2 sent`, or `no matching booking`."""
    said = ", ".join(f"{n} {status}" for status, n in sorted(sel.outcomes.items()))
    ctx.leave(f"{len(sel.records)} {sel.entity}: {said}" if said else f"no matching {sel.entity}")
    ctx.state.selection = None
    return node.next


def quiet(node: MessageNode, ctx: StepContext) -> None:
    """Defer the send to the end of the quiet hours if the journey is inside them."""
    hours = node.quiet_hours
    if hours is None:
        return  # SendMessage is pending
    tz = timezone_for(hours.timezone, ctx.state.profile)
    until = quiet_hours_end(ctx.now, clock(hours.start), clock(hours.end), tz)
    if until is not None:
        ctx.leave(DEFERRED, kind=None)  # not a way out: the visit goes on
        ctx.block(until)


def group(node: MessageNode, state: JourneyState) -> SendTimeGroup | None:
    """Which side of the uplift measure this visit's send is on, if the node optimises."""
    if node.send_time is None:
        return None
    return "holdout" if held_out(node, state) else "optimised"


def held_out(node: MessageNode, state: JourneyState) -> bool:
    """A hash of (journey, profile, node, visit) against the holdout share: stable on replay."""
    share = node.send_time.holdout if node.send_time else 0.0
    if share <= 0:
        return False
    node_id, visit = position(state)
    key = f"{state.journey_id}:{state.profile_id}:{node_id}:{visit}:send_time"
    parts = round(share * 1000)
    return bucket(key, [parts, 1000 - parts]) == 0


def choosing(node: MessageNode, state: JourneyState) -> bool:
    """The send waits on the engagement model: asked to optimise, not held out, not chosen."""
    node_id, _ = position(state)
    return (
        node.send_time is not None and node_id not in state.send_times and not held_out(node, state)
    )
