"""Shared data of the journey language tests: the DESIGN.md abandoned-cart journey."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

ABANDONED_CART_YAML = """\
id: abandoned-cart
name: Abandoned cart recovery
entry:
  event: cart.updated
  when: "event.properties.total > 0"
reentry: {mode: after, wait: PT1H}
exit_on: [order.completed]
timeout: P30D
start: wait_order
nodes:
  wait_order:
    type: wait_for_event
    event: order.completed
    timeout: PT1H
    on_event: done
    on_timeout: remind
  remind: {type: message, channel: email, template: cart-reminder, next: wait_day}
  wait_day: {type: wait, duration: P1D, next: big_cart}
  big_cart:
    type: condition
    branches: [{when: "event.properties.total > 100", next: sms_coupon}]
    otherwise: done
  sms_coupon: {type: message, channel: sms, template: coupon-sms, next: done}
  done: {type: end}
"""

T0 = datetime(2024, 1, 31, 12, 0, tzinfo=UTC)


@pytest.fixture
def cart_data() -> dict[str, Any]:
    """The abandoned-cart definition as a fresh, mutable mapping."""
    from journeys.loader import load_text

    return copy.deepcopy(load_text(ABANDONED_CART_YAML, "application/yaml"))
