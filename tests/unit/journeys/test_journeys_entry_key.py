"""Keyed journeys (decision 13): the key an event carries, and the instances it reaches."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from journeys.entry_key import MAX_KEY_LENGTH, KeyMissing, event_key, key_text
from journeys.loader import load_text
from journeys.model import Event, JourneyDefinition
from journeys.routing import entry_key, instance_keys
from journeys.validate import parse_definition

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
CART = "event.properties.cart_id"
ORDER = "event.properties.order.id"


def event(name: str = "cart.updated", **props: Any) -> Event:
    return Event(event_id="e1", name=name, profile_id="p1", timestamp=NOW, properties=props)


def journey(key: str | None) -> JourneyDefinition:
    entry: dict[str, Any] = {"event": "cart.updated"} | ({"key": key} if key else {})
    return JourneyDefinition.model_validate(
        {
            "id": "cart",
            "name": "Cart",
            "entry": entry,
            "start": "done",
            "nodes": {"done": {"type": "end"}},
        }
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("cart-A", "cart-A"),
        ("A.b_c-9~x", "A.b_c-9~x"),
        ("a b+c&d=e?#", "a%20b%2Bc%26d%3De%3F%23"),
        (42, "42"),
        ("42", "42"),  # the same key as the integer: ids arrive both ways
        (-7, "-7"),
        ("a:b", "a%3Ab"),  # no colon: the key is what follows the id's last one
        ("a%3Ab", "a%253Ab"),  # the escape itself is escaped: no two keys share an id
        ("ü €", "%C3%BC%20%E2%82%AC"),
        ("a/b\\c", "a%2Fb%5Cc"),
        ("x" * MAX_KEY_LENGTH, "x" * MAX_KEY_LENGTH),
    ],
)
def test_key_text_is_safe_and_unambiguous(value: Any, expected: str) -> None:
    assert key_text(value) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "key is empty"),
        (True, "key is a bool, not a string or an integer"),
        (4.5, "key is a float, not a string or an integer"),
        (None, "key is a NoneType, not a string or an integer"),
        (["a"], "key is a list, not a string or an integer"),
        ({"id": 1}, "key is a dict, not a string or an integer"),
        ("x" * (MAX_KEY_LENGTH + 1), "key is longer than 200 characters once encoded"),
        (":" * 67, "key is longer than 200 characters once encoded"),  # 201 once encoded
    ],
)
def test_unusable_values_are_no_key(value: Any, reason: str) -> None:
    with pytest.raises(KeyMissing) as caught:
        key_text(value)
    assert caught.value.message == reason


def test_event_key_reads_the_event() -> None:
    assert event_key(CART, event(cart_id="A")) == "A"
    assert event_key(ORDER, event(order={"id": 7})) == "7"
    assert (
        event_key("event.properties.sku ~ '-' ~ event.properties.size", event(sku="s", size=2))
        == "s-2"
    )


def test_an_event_without_the_property_has_no_key() -> None:
    with pytest.raises(KeyMissing) as caught:
        event_key(CART, event(total=3))
    assert caught.value.message.startswith("no key: ")
    assert "cart_id" in caught.value.message


def test_entry_key_of_unkeyed_and_keyed_journeys() -> None:
    assert entry_key(journey(None), event(cart_id="A")) is None
    assert entry_key(journey(CART), event(cart_id="A")) == "A"
    with pytest.raises(KeyMissing):
        entry_key(journey(CART), event(total=1))
    with pytest.raises(KeyMissing):
        entry_key(journey(CART), event(cart_id=""))


@pytest.mark.parametrize(
    ("sources", "props", "expected"),
    [
        ({None}, {"cart_id": "A"}, {None}),  # unkeyed: the profile's one instance
        ({None}, {}, {None}),
        ({CART}, {"cart_id": "A"}, {"A"}),  # only cart A's instance, not cart B's
        ({CART}, {"cart_id": "B"}, {"B"}),
        ({CART}, {"order_id": "A"}, set()),  # no key: none of the instances
        ({CART}, {"cart_id": None}, set()),
        ({CART}, {"cart_id": 3.0}, set()),
        ({CART, None}, {"cart_id": "A"}, {"A", None}),  # an old unkeyed version still runs
        ({CART, None}, {}, {None}),
        ({CART, ORDER}, {"cart_id": "A", "order": {"id": 9}}, {"A", "9"}),  # key changed
        ({CART, ORDER}, {"order": {"id": 9}}, {"9"}),
    ],
)
def test_instance_keys_per_key(
    sources: set[str | None], props: dict[str, Any], expected: set[str | None]
) -> None:
    assert instance_keys(sources, event("order.completed", **props)) == expected


def test_the_readme_example_is_the_example_file_and_valid() -> None:
    """The Journeys page's keyed journey is examples/cart-per-cart.yaml, which publishes as is."""
    root = Path(__file__).resolve().parents[3]
    text = (root / "examples" / "cart-per-cart.yaml").read_text()
    readme = (root / "docs" / "journeys.md").read_text()
    body = text.split("\n", 2)[2]  # without the two comment lines
    assert f"```yaml\n{body}```" in readme
    definition, problems = parse_definition(
        load_text(text, "application/yaml"), known_templates={"cart-reminder"}
    )
    assert problems == []
    assert definition is not None and definition.entry.key == CART
