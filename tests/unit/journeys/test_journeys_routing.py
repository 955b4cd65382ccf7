"""Router helpers: listened events, whether the entry needs the profile, entry matching."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from journeys.model import Event, JourneyDefinition, Profile
from journeys.routing import entry_matches, entry_needs_profile, entry_open, listened_events

NOW = datetime(2024, 1, 31, 12, 0, tzinfo=UTC)
PRO = Profile(profile_id="p1", attributes={"plan": "pro"})


def journey(when: str | None, **extra: Any) -> JourneyDefinition:
    entry: dict[str, Any] = {"event": "cart.updated"} | ({"when": when} if when else {})
    return JourneyDefinition.model_validate(
        {
            "id": "j",
            "name": "J",
            "entry": entry,
            "start": "done",
            "nodes": {"done": {"type": "end"}},
        }
        | extra
    )


def event(name: str = "cart.updated", **props: Any) -> Event:
    return Event(event_id="e1", name=name, profile_id="p1", timestamp=NOW, properties=props)


def test_listened_events(cart_data: dict[str, Any]) -> None:
    cart = JourneyDefinition.model_validate(cart_data)
    assert listened_events(cart) == {"order.completed"}
    cart_data["exit_on"] = ["unsubscribed"]
    assert listened_events(JourneyDefinition.model_validate(cart_data)) == {
        "order.completed",
        "unsubscribed",
    }
    assert listened_events(journey(None)) == set()


@pytest.mark.parametrize(
    ("when", "needs"),
    [
        (None, False),
        ("event.properties.total > 0", False),
        ("profile.attributes.plan == 'pro'", True),
        ("event.properties.total > 0 and profile.email", True),
    ],
)
def test_entry_needs_profile(when: str | None, needs: bool) -> None:
    assert entry_needs_profile(journey(when)) is needs


@pytest.mark.parametrize(
    ("when", "evt", "profile", "matches"),
    [
        (None, event(), None, True),
        (None, event("cart.viewed"), None, False),
        ("event.properties.total > 0", event(total=5), None, True),
        ("event.properties.total > 0", event(total=0), None, False),
        ("event.properties.total > 0", event("cart.viewed", total=5), None, False),
        ("event.properties.total > 0", event(), None, False),  # runtime error: no match
        ("profile.attributes.plan == 'pro'", event(), PRO, True),
        ("profile.attributes.plan == 'pro'", event(), Profile(profile_id="p1"), False),
        ("profile.attributes.plan == 'pro'", event(), None, False),
        ("profile.email is none", event(), None, True),
        ("now > event.timestamp", event(), None, False),
        ("'cart.updated' in events", event(), None, True),
        ("event.properties.total", event(total=[]), None, False),
    ],
)
def test_entry_matches(
    when: str | None, evt: Event, profile: Profile | None, matches: bool
) -> None:
    assert entry_matches(journey(when), evt, profile, NOW) is matches


def test_listened_events_include_reactions(features_data: dict[str, Any]) -> None:
    definition = JourneyDefinition.model_validate(features_data)
    assert listened_events(definition) == {"message.clicked", "unsubscribed"}


@pytest.mark.parametrize(
    ("window", "open_"),
    [
        (None, True),
        ({}, True),
        ({"start": "2024-01-31T12:00:00Z"}, True),  # start included
        ({"start": "2024-01-31T13:00:00+01:00"}, True),
        ({"start": "2024-01-31T12:00:01Z"}, False),
        ({"end": "2024-01-31T12:00:00Z"}, False),  # end excluded
        ({"end": "2024-02-01T00:00:00Z"}, True),
        ({"start": "2024-01-01T00:00:00Z", "end": "2024-02-01T00:00:00Z"}, True),
        ({"start": "2024-02-01T00:00:00Z", "end": "2024-03-01T00:00:00Z"}, False),
    ],
)
def test_entry_open(window: dict[str, Any] | None, open_: bool) -> None:
    extra = {} if window is None else {"entry_window": window}
    assert entry_open(journey(None, **extra), NOW) is open_
    assert entry_open(journey(None, **extra), NOW.replace(tzinfo=None)) is open_  # naive: UTC
