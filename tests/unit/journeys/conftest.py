"""Shared data of the journey language tests: the reference abandoned-cart journey."""

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


# Every node type and option at least once; valid (test_journeys_validate has its catalogs).
FEATURES_YAML = """\
id: onboarding
name: Onboarding with everything
entry: {event: user.signed_up}
entry_window: {start: "2024-01-01T00:00:00Z", end: "2025-01-01T00:00:00+01:00"}
entry_cap: {per_day: 1000, max_inside: 50000}
exit_on: [unsubscribed]
timeout: P30D
dry_run: true
start: lookup
nodes:
  lookup:
    type: fetch
    source: crm-contact
    params: {email: "{{ profile.email }}", limit: 1}
    next: tag
    on_error: tag
  tag:
    type: update_profile
    set: {stage: "'onboarding'", crm_id: "vars.lookup.id | default(none)"}
    increment: {journeys_started: 1}
    next: ab
  ab:
    type: split
    paths:
      - {name: fast, weight: 30, next: welcome}
      - {name: slow, weight: 70, next: monday}
  monday:
    type: wait
    next_weekday: {days: [mon, tue, wed, thu, fri], time: "09:00", timezone: Europe/Paris}
    next: welcome
  welcome:
    type: message
    channel: email
    template: welcome
    quiet_hours: {start: "21:00", end: "08:00"}
    next: clicked
  clicked:
    type: wait_for_event
    reaction: {to: welcome, kind: clicked}
    timeout: P3D
    on_event: offer
    on_timeout: fresh
  fresh:
    type: condition
    refresh: true
    branches: [{when: "profile.attributes.plan == 'pro'", next: done}]
    otherwise: offer
  offer:
    type: experiment
    variants:
      - {name: ten, weight: 45, next: notify}
      - {name: twenty, weight: 45, next: notify}
    holdout: {weight: 10, next: later}
  notify:
    type: action
    action: slack-sales
    params: {text: "{{ profile.email }} got {{ journey.name }}", channel: "#sales"}
    next: later
    on_error: later
  later: {type: wait, until_time: "2024-12-24T09:00:00+01:00", next: handover}
  handover: {type: jump, journey: retention, end: true}
  done: {type: end}
"""


@pytest.fixture
def features_data() -> dict[str, Any]:
    """A definition using every node type and option, as a fresh, mutable mapping."""
    from journeys.loader import load_text

    return copy.deepcopy(load_text(FEATURES_YAML, "application/yaml"))
