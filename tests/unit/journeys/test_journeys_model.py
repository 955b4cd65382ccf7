"""The definition models: defaults, node types, round trips, runtime data."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from journeys.model import Event, JourneyDefinition, Profile
from journeys.nodes.action import ActionNode
from journeys.nodes.condition import ConditionNode
from journeys.nodes.end import EndNode
from journeys.nodes.experiment import ExperimentNode
from journeys.nodes.fetch import FetchNode
from journeys.nodes.jump import JumpNode
from journeys.nodes.message import MessageNode
from journeys.nodes.split import SplitNode
from journeys.nodes.update_profile import UpdateProfileNode
from journeys.nodes.wait import WaitNode
from journeys.nodes.wait_for_event import WaitForEventNode

MINIMAL: dict[str, Any] = {
    "id": "welcome",
    "name": "Welcome",
    "entry": {"event": "user.signed_up"},
    "start": "done",
    "nodes": {"done": {"type": "end"}},
}


def with_nodes(**nodes: Any) -> dict[str, Any]:
    return {**MINIMAL, "start": next(iter(nodes)), "nodes": {**nodes, "done": {"type": "end"}}}


def test_defaults() -> None:
    definition = JourneyDefinition.model_validate(MINIMAL)
    assert definition.reentry.mode == "never"
    assert definition.reentry.wait is None
    assert definition.exit_on == []
    assert definition.timeout == "P90D"
    assert definition.entry.when is None
    assert definition.description is None


@pytest.mark.parametrize(
    ("node", "cls"),
    [
        ({"type": "message", "channel": "email", "template": "t", "next": "done"}, MessageNode),
        ({"type": "wait", "duration": "P1D", "next": "done"}, WaitNode),
        ({"type": "wait", "until": "now + duration('P1D')", "next": "done"}, WaitNode),
        (
            {
                "type": "condition",
                "branches": [{"when": "true", "next": "done"}],
                "otherwise": "done",
            },
            ConditionNode,
        ),
        (
            {
                "type": "wait_for_event",
                "event": "order.completed",
                "when": "received.properties.total > 0",
                "timeout": "PT1H",
                "on_event": "done",
                "on_timeout": "done",
            },
            WaitForEventNode,
        ),
        ({"type": "end"}, EndNode),
    ],
)
def test_node_types(node: dict[str, Any], cls: type) -> None:
    definition = JourneyDefinition.model_validate(with_nodes(first=node))
    assert isinstance(definition.nodes["first"], cls)


@pytest.mark.parametrize(
    "reentry",
    [{"mode": "never"}, {"mode": "always"}, {"mode": "after", "wait": "PT1H"}],
)
def test_reentry_modes(reentry: dict[str, Any]) -> None:
    definition = JourneyDefinition.model_validate({**MINIMAL, "reentry": reentry})
    assert definition.reentry.mode == reentry["mode"]


@pytest.mark.parametrize(
    "patch",
    [
        {"reentry": {"mode": "after"}},
        {"reentry": {"mode": "never", "wait": "PT1H"}},
        {"timeout": "P0D"},
        {"timeout": "90 days"},
        {"id": "Not A Slug"},
        {"nodes": {}},
        {"surprise": 1},
        {"nodes": {"done": {"type": "end", "next": "x"}}},
    ],
)
def test_invalid_definitions(patch: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        JourneyDefinition.model_validate({**MINIMAL, **patch})


def test_round_trip(cart_data: dict[str, Any]) -> None:
    definition = JourneyDefinition.model_validate(cart_data)
    dumped = definition.model_dump(mode="json", exclude_defaults=True)
    assert JourneyDefinition.model_validate(dumped) == definition
    assert dumped["nodes"]["big_cart"]["branches"][0]["next"] == "sms_coupon"


def test_event_and_profile_round_trip() -> None:
    event = Event(
        event_id="e1",
        name="cart.updated",
        profile_id="p1",
        timestamp=datetime(2024, 1, 1, tzinfo=UTC),
        properties={"total": 12.5, "items": [{"sku": "a"}]},
    )
    assert Event.model_validate_json(event.model_dump_json()) == event
    profile = Profile(profile_id="p1", email="a@example.com", attributes={"plan": "pro"})
    assert Profile.model_validate_json(profile.model_dump_json()) == profile


def test_event_timestamp_must_be_aware() -> None:
    with pytest.raises(ValidationError):
        Event(event_id="e", name="n", profile_id="p", timestamp=datetime(2024, 1, 1))


def test_defaults_of_the_newer_fields() -> None:
    definition = JourneyDefinition.model_validate(MINIMAL)
    assert definition.entry_window is None and definition.entry_cap is None
    assert definition.dry_run is False
    node = JourneyDefinition.model_validate(
        with_nodes(first={"type": "wait", "next_weekday": {"time": "09:00"}, "next": "done"})
    ).nodes["first"]
    assert isinstance(node, WaitNode) and node.next_weekday is not None
    assert node.next_weekday.days == ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    assert node.next_weekday.timezone is None


@pytest.mark.parametrize(
    ("node", "cls"),
    [
        (
            {"type": "split", "paths": [{"name": "a", "weight": 100, "next": "done"}]},
            SplitNode,
        ),
        (
            {
                "type": "experiment",
                "variants": [{"name": "a", "weight": 90, "next": "done"}],
                "holdout": {"weight": 10, "next": "done"},
            },
            ExperimentNode,
        ),
        ({"type": "action", "action": "crm", "next": "done"}, ActionNode),
        ({"type": "fetch", "source": "crm", "params": {"a": 1}, "next": "done"}, FetchNode),
        ({"type": "update_profile", "increment": {"n": 1}, "next": "done"}, UpdateProfileNode),
        ({"type": "jump", "journey": "other", "next": "done"}, JumpNode),
        ({"type": "jump", "journey": "other", "end": True}, JumpNode),
    ],
)
def test_newer_node_types(node: dict[str, Any], cls: type) -> None:
    definition = JourneyDefinition.model_validate(with_nodes(first=node))
    assert isinstance(definition.nodes["first"], cls)


def test_literal_values_read_as_expressions() -> None:
    node = {"type": "update_profile", "set": {"vip": True, "score": 2.5}, "increment": {"n": 1}}
    parsed = JourneyDefinition.model_validate(with_nodes(first={**node, "next": "done"}))
    first = parsed.nodes["first"]
    assert isinstance(first, UpdateProfileNode)
    assert first.set == {"vip": "true", "score": "2.5"} and first.increment == {"n": "1"}


def test_reaction_awaits_a_message_event() -> None:
    node = {
        "type": "wait_for_event",
        "reaction": {"to": "done", "kind": "opened"},
        "timeout": "PT1H",
        "on_event": "done",
        "on_timeout": "done",
    }
    first = JourneyDefinition.model_validate(with_nodes(first=node)).nodes["first"]
    assert isinstance(first, WaitForEventNode) and first.awaited == "message.opened"


def test_round_trip_of_every_feature(features_data: dict[str, Any]) -> None:
    definition = JourneyDefinition.model_validate(features_data)
    dumped = definition.model_dump(mode="json", by_alias=True)
    assert JourneyDefinition.model_validate(dumped) == definition
    assert dumped["nodes"]["later"]["until_time"] == "2024-12-24T09:00:00+01:00"
