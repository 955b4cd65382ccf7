"""Test mode's loop: a run on a virtual clock answers each node visit with what it evaluated."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from journeys.interpreter import Input, JourneyState, MessageSent, SendMessage
from journeys.model import Event, JourneyDefinition, Profile
from journeys.simulate import simulate
from tests.unit.journeys.conftest import T0


def sent(command: Any, state: JourneyState, now: datetime) -> tuple[Input, dict[str, Any]]:
    """Every message goes out; nothing else is asked of this journey."""
    assert isinstance(command, SendMessage)
    return MessageSent(node=command.node, message_id="m", status="sent"), {"kind": "message"}


def test_each_visit_carries_the_expressions_it_evaluated(cart_data: dict[str, Any]) -> None:
    definition = JourneyDefinition.model_validate(cart_data)
    entry = Event(
        event_id="e1",
        name="cart.updated",
        profile_id="ada",
        timestamp=T0,
        properties={"total": 150},
    )
    run = simulate(
        definition,
        profile=Profile(profile_id="ada"),
        entry_event=entry,
        events=[],
        responder=sent,
    )
    assert run.status == "completed"
    visits = [(v.node, v.visit, v.outcome, v.detail) for v in run.visits]
    assert visits == [
        ("wait_order", 1, "exited", "timeout"),
        ("remind", 1, "exited", "sent m"),
        ("wait_day", 1, "exited", "elapsed"),
        ("big_cart", 1, "exited", "branch 0"),
        ("sms_coupon", 1, "exited", "sent m"),
        ("done", 1, "exited", "completed"),
    ]
    big_cart = run.visits[3]
    assert [c.model_dump() for c in big_cart.checks] == [
        {"expression": "event.properties.total > 100", "value": True}
    ]
    assert big_cart.entered_at == datetime.fromisoformat("2024-02-01T13:00:00+00:00")
