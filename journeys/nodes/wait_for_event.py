"""`wait_for_event`: wait for an event of the profile (or a reaction to a message this
journey sent), or give up after `timeout`.

While it waits for an event, that event wins over `exit_on` when its `when` passes: the
node that explicitly awaits the event handles it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Literal

from pydantic import Field, model_validator

from journeys.expressions import CONTEXT_NAMES
from journeys.fields import (
    DefinitionModel,
    DurationStr,
    EventName,
    ExpressionStr,
    NodeName,
    NodeRef,
    field_error,
)
from journeys.nodes.base import Expression, Finding, Graph, NodeModel, NodeType, Raw, waits_a_while
from journeys.nodes.context import StepContext
from journeys.nodes.errors import FieldPath
from journeys.nodes.values import shown
from journeys.records import Event
from journeys.runtime import Check, JourneyState


class Reaction(DefinitionModel):
    """A reaction of the profile to a message this journey sent."""

    to: NodeName = Field(description="Id of the message node whose message is reacted to.")
    kind: Literal["opened", "clicked", "delivered", "failed"] = Field(
        description="Awaits the event message.<kind> whose properties.message_id is the id "
        "of the message last sent at `to` in this run."
    )

    @property
    def event(self) -> str:
        return f"message.{self.kind}"


class WaitForEventNode(NodeModel):
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


class WaitForEventType(NodeType[WaitForEventNode]):
    model = WaitForEventNode

    def edges(self, raw: Raw) -> list[FieldPath]:
        return [("on_event",), ("on_timeout",)]

    def blocks(self, raw: Raw) -> bool:
        return waits_a_while(raw.get("timeout"))

    def expressions(self, raw: Raw) -> Iterator[Expression]:
        if raw.get("when") is not None:
            yield ("when",), raw.get("when"), CONTEXT_NAMES | {"received"}

    def waits(self, raw: Raw) -> Iterator[tuple[str, object]]:
        yield "timeout", raw.get("timeout")

    def references(self, raw: Raw, graph: Graph) -> Iterator[Finding]:
        """A reaction is to a message node of this journey."""
        reaction = raw.get("reaction")
        to = reaction.get("to") if isinstance(reaction, Mapping) else None
        if not isinstance(to, str):
            return
        if to not in graph.ids:
            yield ("reaction", "to"), f"unknown node {to!r}"
        elif to in graph.nodes and (other := graph.nodes[to].get("type")) != "message":
            yield ("reaction", "to"), f"must be a message node; {to!r} is a {other}"

    def act(self, node: WaitForEventNode, ctx: StepContext) -> str | None:
        until = ctx.later(node.timeout, ("timeout",))
        if until <= ctx.now:
            ctx.leave("timeout")
            return node.on_timeout
        ctx.block(until, node.awaited, node.when)
        return None

    def on_timer(self, node: WaitForEventNode, ctx: StepContext) -> str | None:
        ctx.leave("timeout")
        return node.on_timeout

    def awaits(self, node: WaitForEventNode, state: JourneyState, event: Event) -> bool:
        """A `reaction` awaits `message.<kind>` whose `properties.message_id` is the id of
        the message last sent at the reaction's message node in this run."""
        if node.awaited != event.name:
            return False
        if node.reaction is None:
            return True
        sent_id = state.messages.get(node.reaction.to)
        return sent_id is not None and event.properties.get("message_id") == sent_id

    def reads_profile(self, node: WaitForEventNode, ctx: StepContext) -> bool:
        return ctx.needs_profile([node.when])

    def receive(self, node: WaitForEventNode, ctx: StepContext, event: Event) -> str | None:
        checks: list[Check] = []
        if node.when is not None:
            value = ctx.evaluate(node.when, ("when",), event)
            checks.append(Check(expression=node.when, value=shown(value)))
            if not value:
                return None
        ctx.leave(f"event {event.name}", checks=checks)
        return node.on_event
