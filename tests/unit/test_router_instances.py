"""The router's registry names the workflow ids an event concerns, per key (decision 13)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from journeys.model import Event
from workers.router import Registry

CART = "event.properties.cart_id"


def order(**props: Any) -> Event:
    at = datetime(2026, 12, 3, tzinfo=UTC)
    return Event(
        event_id="e", name="order.completed", profile_id="p-1", timestamp=at, properties=props
    )


@pytest.mark.parametrize(
    ("keys", "props", "expected"),
    [
        ({}, {"cart_id": "A"}, {"journey:cart:p-1"}),  # not in the registry: unkeyed
        ({"cart": {None}}, {"cart_id": "A"}, {"journey:cart:p-1"}),
        ({"cart": {CART}}, {"cart_id": "A"}, {"journey:cart:p-1:A"}),
        ({"cart": {CART}}, {"cart_id": "a/b"}, {"journey:cart:p-1:a%2Fb"}),
        ({"cart": {CART}}, {}, set()),
        ({"cart": {CART, None}}, {"cart_id": 7}, {"journey:cart:p-1", "journey:cart:p-1:7"}),
    ],
)
def test_instances_of_an_event(
    keys: dict[str, set[str | None]], props: dict[str, Any], expected: set[str]
) -> None:
    assert Registry(keys=keys).instances("cart", order(**props)) == expected
