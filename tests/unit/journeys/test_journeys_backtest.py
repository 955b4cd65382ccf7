"""Backtest: stored events through the pure interpreter, summed over profiles.

The reference abandoned-cart journey (conftest) over a three-day window: each profile's
story is told in its events, and the counts are pinned as the journey's rules give them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from journeys.backtest import (
    AssertionProblem,
    Backtest,
    Cap,
    Consent,
    ProfileHistory,
    TemplateFacts,
    compare_all,
    definition_changes,
    differences,
    failed_assertions,
    replay,
    replay_all,
    selection_key,
    summary,
)
from journeys.model import Event, JourneyDefinition, Profile
from journeys.per_entity import PerEntity
from journeys.runtime import ActionDone, EntityRecord
from journeys.validate import parse_definition

T0 = datetime(2024, 1, 31, 12, 0, tzinfo=UTC)
TEMPLATES = {
    "cart-reminder": TemplateFacts("email"),
    "coupon-sms": TemplateFacts("sms"),
}
END = T0 + timedelta(days=3)


def ev(profile: str, name: str, after: timedelta, total: float | None = None) -> Event:
    props = {} if total is None else {"total": total}
    at = T0 + after
    return Event(
        event_id=f"{profile}-{name}-{after}",
        name=name,
        profile_id=profile,
        timestamp=at,
        properties=props,
    )


def history(profile: str, *events: Event, consent: Consent = Consent()) -> ProfileHistory:
    return ProfileHistory(
        Profile(profile_id=profile, email=f"{profile}@example.test"), list(events), consent
    )


def no_calls(command: Any, state: Any) -> None:
    return None


def cart_backtest(cart_data: dict[str, Any], **extra: Any) -> Backtest:
    return Backtest(
        definition=JourneyDefinition.model_validate(cart_data),
        version=3,
        end=END,
        answer=no_calls,
        templates=TEMPLATES,
        **extra,
    )


H, M, D = timedelta(hours=1), timedelta(minutes=1), timedelta(days=1)
STORIES = [
    # small cart, no order: reminded after an hour, no coupon
    history("small", ev("small", "cart.updated", 0 * H, 50)),
    # orders within the hour: nothing sent
    history(
        "buyer", ev("buyer", "cart.updated", 0 * H, 200), ev("buyer", "order.completed", 30 * M)
    ),
    # big cart, no order: reminder, then the coupon a day later
    history("big", ev("big", "cart.updated", 0 * H, 200)),
    # empty cart: the entry filter keeps it out
    history("empty", ev("empty", "cart.updated", 0 * H, 0)),
    # arrives half an hour before the window ends: still waiting for the order
    history("late", ev("late", "cart.updated", 3 * D - 30 * M, 150)),
    # opted out of email: the reminder is skipped
    history(
        "optout",
        ev("optout", "cart.updated", 0 * H, 50),
        consent=Consent(unsubscribed=frozenset({("email", None)})),
    ),
    # updates the cart while inside (no second entry), then again after leaving (re-entry
    # after PT1H allows it), and orders during the second run's wait for a day
    history(
        "again",
        ev("again", "cart.updated", 0 * H, 50),
        ev("again", "cart.updated", 10 * M, 60),
        ev("again", "cart.updated", 2 * D, 70),
        ev("again", "order.completed", 2 * D + 2 * H),
    ),
]


def test_the_stories_add_up_to_the_journeys_rules(cart_data: dict[str, Any]) -> None:
    result = summary(
        replay_all(cart_backtest(cart_data), STORIES), JourneyDefinition.model_validate(cart_data)
    )
    assert {k: result[k] for k in ("profiles", "profiles_entered", "entered", "messages")} == {
        "profiles": 7,
        "profiles_entered": 6,
        "entered": 7,
        "messages": 5,
    }
    assert result["finished"] == {"completed": 5, "exited": 1, "waiting": 1}
    assert result["max_messages_per_profile"] == 2
    assert result["messages_per_profile"] == {"0": 4, "1": 1, "2": 2}
    assert result["nodes"]["wait_order"] == {
        "entered": 7,
        "exited": 6,
        "exit_criteria": 0,
        "errored": 0,
        "timed_out": 0,
        "waiting": 1,
        "unknown": 0,
    }
    assert result["nodes"]["remind"]["messages"] == {"sent": 4, "skipped": 1}
    assert result["nodes"]["remind"]["skipped"] == {"unsubscribed from email": 1}
    assert result["nodes"]["sms_coupon"]["messages"] == {"sent": 1}
    assert result["nodes"]["done"]["entered"] == 5
    assert result["messages_per_day"] == {
        "email": {"2024-01-31": 3, "2024-02-02": 1},
        "sms": {"2024-02-01": 1},
    }
    assert result["entries_per_day"] == {"2024-01-31": 5, "2024-02-02": 1, "2024-02-03": 1}
    edges = {(e["from"], e["to"]): e["profiles"] for e in result["edges"]}
    assert edges == {
        ("wait_order", "done"): 1,
        ("wait_order", "remind"): 5,
        ("remind", "wait_day"): 5,
        ("wait_day", "big_cart"): 4,
        ("big_cart", "sms_coupon"): 1,
        ("big_cart", "done"): 3,
        ("sms_coupon", "done"): 1,
    }


def test_a_profile_inside_is_not_entered_again_and_reentry_waits(cart_data: dict[str, Any]) -> None:
    cart_data["reentry"] = {"mode": "never"}
    tally = replay(cart_backtest(cart_data), STORIES[-1])
    assert tally.entered == 1
    assert dict(tally.refused) == {"reentry never": 1}


def test_the_frequency_cap_counts_the_replays_own_sends(cart_data: dict[str, Any]) -> None:
    cart_data["nodes"]["wait_day"]["next"] = "remind_again"
    cart_data["nodes"]["remind_again"] = {
        "type": "message",
        "channel": "email",
        "template": "cart-reminder",
        "next": "done",
    }
    bt = cart_backtest(cart_data, caps={"email": Cap(1, timedelta(days=7))})
    result = summary(replay(bt, STORIES[0]), bt.definition)
    assert result["nodes"]["remind"]["messages"] == {"sent": 1}
    assert result["nodes"]["remind_again"]["skipped"] == {"frequency cap: 1 per 7d": 1}


def test_a_call_without_a_canned_answer_stops_the_run_as_unknown(cart_data: dict[str, Any]) -> None:
    cart_data["nodes"]["wait_day"]["next"] = "crm"
    cart_data["nodes"]["crm"] = {"type": "action", "action": "crm-note", "next": "done"}
    bt = cart_backtest(cart_data)
    result = summary(replay(bt, STORIES[0]), bt.definition)
    assert result["finished"] == {"unknown": 1}
    assert result["nodes"]["crm"]["unknown"] == 1
    assert result["nodes"]["done"]["entered"] == 0

    def crm_ok(command: Any, state: Any) -> ActionDone:
        return ActionDone(node=command.node, ok=True, response={})

    answered = Backtest(bt.definition, 3, END, crm_ok, TEMPLATES)
    assert summary(replay(answered, STORIES[0]), bt.definition)["finished"] == {"completed": 1}


def test_the_order_of_profiles_does_not_change_the_answer(cart_data: dict[str, Any]) -> None:
    bt = cart_backtest(cart_data)
    forward = summary(replay_all(bt, STORIES), bt.definition)
    assert summary(replay_all(bt, reversed(STORIES)), bt.definition) == forward


def test_assertions_name_the_ones_that_fail(cart_data: dict[str, Any]) -> None:
    bt = cart_backtest(cart_data)
    result = summary(replay_all(bt, STORIES), bt.definition)
    checks = [
        "max_messages_per_profile <= 1",
        "nodes.sms_coupon.entered < 0.2 * entered",
        "nodes.remind.messages.sent == 4",
    ]
    assert failed_assertions(result, checks) == ["max_messages_per_profile <= 1"]
    with pytest.raises(AssertionProblem) as problem:
        failed_assertions(result, ["nodes.nope.entered > 0"])
    assert str(problem.value) == "nodes.nope.entered > 0: 'dict object' has no attribute 'nope'"


def test_what_would_change_beside_the_live_version(cart_data: dict[str, Any]) -> None:
    live = cart_backtest(cart_data)
    cart_data["nodes"]["big_cart"]["branches"][0]["when"] = "event.properties.total > 40"
    del cart_data["nodes"]["sms_coupon"]["next"]
    cart_data["nodes"]["sms_coupon"]["next"] = "thanks"
    cart_data["nodes"]["thanks"] = {"type": "end"}
    candidate = cart_backtest(cart_data)
    both = compare_all(live, candidate, STORIES, sample_size=2)
    assert definition_changes(live.definition, candidate.definition) == {
        "added": ["thanks"],
        "removed": [],
        "changed": ["big_cart", "sms_coupon"],
    }
    # small (50), optout (50) and again's first run (60) now get the coupon; big moves to thanks
    assert both.differing == 4
    assert both.sample == [
        {
            "profile_id": "small",
            "live": ["wait_order", "remind", "wait_day", "big_cart", "done"],
            "candidate": ["wait_order", "remind", "wait_day", "big_cart", "sms_coupon", "thanks"],
        },
        {
            "profile_id": "big",
            "live": ["wait_order", "remind", "wait_day", "big_cart", "sms_coupon", "done"],
            "candidate": ["wait_order", "remind", "wait_day", "big_cart", "sms_coupon", "thanks"],
        },
    ]
    before = summary(both.live, live.definition)
    after = summary(both.candidate, candidate.definition)
    delta = differences(before, after)
    assert (delta["entered"], delta["messages"], delta["max_messages_per_profile"]) == (0, 3, 1)
    assert delta["nodes"]["sms_coupon"]["entered"] == 3
    assert delta["nodes"]["thanks"]["entered"] == 4
    assert delta["nodes"]["done"]["entered"] == -4


def cart(after: timedelta, name: str = "cart.updated", **props: Any) -> Event:
    return Event(
        event_id=f"two-{name}-{after}-{props}",
        name=name,
        profile_id="two",
        timestamp=T0 + after,
        properties=props,
    )


TWO_CARTS = history(
    "two",
    cart(0 * H, cart_id="A", total=50),
    cart(10 * M, cart_id="B", total=200),
    cart(30 * M, "order.completed", cart_id="A"),
    cart(40 * M, "order.completed"),  # no cart id: reaches no instance of a keyed journey
)


def test_a_keyed_journey_replays_one_instance_per_key(cart_data: dict[str, Any]) -> None:
    """Cart A's order ends A's run only; cart B's run sends its reminder and, as a big cart,
    the coupon. Unkeyed, cart B's update goes to the one run and the first order ends it."""
    unkeyed = summary(
        replay(cart_backtest(cart_data), TWO_CARTS), JourneyDefinition.model_validate(cart_data)
    )
    assert (unkeyed["entered"], unkeyed["messages"], unkeyed["finished"]) == (
        1,
        0,
        {"completed": 1},
    )

    cart_data["entry"]["key"] = "event.properties.cart_id"
    bt = cart_backtest(cart_data)
    result = summary(replay(bt, TWO_CARTS), bt.definition)
    assert {k: result[k] for k in ("profiles", "profiles_entered", "entered", "messages")} == {
        "profiles": 1,
        "profiles_entered": 1,
        "entered": 2,
        "messages": 2,
    }
    assert result["messages_per_profile"] == {"2": 1}  # the profile's, over both carts
    assert result["finished"] == {"completed": 2}
    edges = {(e["from"], e["to"]): e["profiles"] for e in result["edges"]}
    assert edges[("wait_order", "done")] == 1  # cart A's order
    assert edges[("wait_order", "remind")] == 1  # cart B's hour without one
    assert result["nodes"]["remind"]["messages"] == {"sent": 1}
    assert result["nodes"]["sms_coupon"]["messages"] == {"sent": 1}


def test_a_keyed_journey_applies_reentry_per_key(cart_data: dict[str, Any]) -> None:
    cart_data["entry"]["key"] = "event.properties.cart_id"
    bt = cart_backtest(cart_data)
    story = history(
        "two",
        cart(0 * H, cart_id="A", total=50),
        cart(10 * M, "order.completed", cart_id="A"),
        cart(20 * M, cart_id="A", total=50),  # within PT1H of A's end: refused
        cart(20 * M, cart_id="C", total=50),  # another cart: enters
        cart(25 * M, total=50),  # no cart id: enters nothing, refused nowhere
    )
    tally = replay(bt, story)
    assert tally.entered == 2
    assert dict(tally.refused) == {"reentry after PT1H": 1}


def test_a_per_entity_node_sends_one_message_per_record_each_counted_by_the_cap() -> None:
    """Three bookings, a cap of two a day: two sent, one skipped by the cap (decision 24);
    a profile without records goes on with none."""
    per = {"entity": "booking", "where": [{"field": "status", "op": "eq", "value": "confirmed"}]}
    remind = {"type": "message", "channel": "email", "template": "cart-reminder", "next": "done"}
    definition, problems = parse_definition(
        {
            "id": "stays",
            "name": "Stays",
            "entry": {"event": "trip.planned"},
            "start": "remind",
            "nodes": {"remind": {**remind, "per": per}, "done": {"type": "end"}},
        }
    )
    assert definition is not None, problems
    bt = Backtest(
        definition,
        1,
        END,
        no_calls,
        TEMPLATES,
        caps={"email": Cap(max_messages=2, period=timedelta(days=1))},
    )
    records = [EntityRecord(type="booking", key=k) for k in ("b1", "b2", "b3")]
    three = ProfileHistory(
        Profile(profile_id="p1", email="p1@example.test"),
        [ev("p1", "trip.planned", timedelta(hours=1))],
        records={selection_key(PerEntity.model_validate(per)): records},
    )
    none = history("p2", ev("p2", "trip.planned", timedelta(hours=1)))
    tally = replay_all(bt, [three, none])
    node = tally.nodes["remind"]
    assert dict(node.messages) == {"sent": 2, "skipped": 1}
    assert dict(node.skipped) == {"frequency cap: 2 per 1d": 1}
    assert node.entered == 2 and node.exited == 2
    assert tally.finished["completed"] == 2
