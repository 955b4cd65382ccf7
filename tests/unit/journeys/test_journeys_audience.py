"""Audience-driven journeys in the language: entry by audience, cron schedules, exits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from journeys.audience import audience_of, entry_audience_matches, exit_reason
from journeys.cron import cron_problem
from journeys.interpreter import EventReceived, Finish, Start, Wait, step
from journeys.model import (
    AUDIENCE_ENTERED,
    AUDIENCE_EXITED,
    AUDIENCE_RUN,
    Event,
    JourneyDefinition,
    Profile,
)
from journeys.routing import entry_matches, exit_audiences, listened_events
from journeys.schema import json_schema
from journeys.validate import validate

T0 = datetime(2024, 1, 31, 12, 0, tzinfo=UTC)
REQUIRED_ON = 'required: on: enter|exit (real time) or schedule: <cron>|"once"'


def journey(entry: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {
        "id": "vip-welcome",
        "name": "VIP welcome",
        "entry": entry,
        "start": "pause",
        "nodes": {
            "pause": {"type": "wait", "duration": "P1D", "next": "done"},
            "done": {"type": "end"},
        },
        **top,
    }


def parsed(entry: dict[str, Any], **top: Any) -> JourneyDefinition:
    return JourneyDefinition.model_validate(journey(entry, **top))


def ev(name: str, audience: str | None = None, event_id: str = "e1", **props: Any) -> Event:
    if audience is not None:
        props["audience_id"] = audience
    return Event(event_id=event_id, name=name, profile_id="p1", timestamp=T0, properties=props)


def problems(entry: dict[str, Any], **top: Any) -> list[tuple[str, str]]:
    return [(p.path, p.message) for p in validate(journey(entry, **top))]


@pytest.mark.parametrize(
    ("entry", "event_name", "realtime"),
    [
        ({"event": "cart.updated"}, "cart.updated", "cart.updated"),
        ({"audience": {"id": "vip", "on": "enter"}}, AUDIENCE_ENTERED, AUDIENCE_ENTERED),
        ({"audience": {"id": "vip", "on": "exit"}}, AUDIENCE_EXITED, AUDIENCE_EXITED),
        ({"audience": {"id": "vip", "schedule": "once"}}, AUDIENCE_RUN, None),
        (
            {"audience": {"id": "vip", "schedule": "0 9 * * MON", "timezone": "Europe/Paris"}},
            AUDIENCE_RUN,
            None,
        ),
    ],
)
def test_entry_kinds(entry: dict[str, Any], event_name: str, realtime: str | None) -> None:
    assert problems(entry) == []
    defn = parsed(entry)
    assert defn.entry.event_name == event_name
    assert defn.entry.realtime_event == realtime


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({}, [("entry.event", "required (or give audience)")]),
        (
            {"event": "x", "audience": {"id": "vip", "on": "enter"}},
            [("entry.audience", "give either event or audience, not both")],
        ),
        (
            {"audience": {"id": "vip"}},
            [("entry.audience.on", REQUIRED_ON)],
        ),
        (
            {"audience": {"id": "vip", "on": "enter", "schedule": "once"}},
            [("entry.audience.schedule", "give either on (real time) or schedule, not both")],
        ),
        (
            {"audience": {"id": "vip", "on": "stay"}},
            [("entry.audience.on", "Input should be 'enter' or 'exit'")],
        ),
        (
            {"audience": {"id": "vip", "schedule": "once", "timezone": "Europe/Paris"}},
            [("entry.audience.timezone", "only allowed with a cron schedule")],
        ),
        (
            {"audience": {"id": "vip", "schedule": "0 9 * * *", "timezone": "Mars/Olympus"}},
            [
                (
                    "entry.audience.timezone",
                    "unknown timezone 'Mars/Olympus'; use an IANA name such as Europe/Paris",
                )
            ],
        ),
        (
            {"audience": {"id": "vip", "schedule": "0 25 * * *"}},
            [
                (
                    "entry.audience.schedule",
                    "must be \"once\" or a cron expression: hour '25': 25 is out of range 0-23",
                )
            ],
        ),
        (
            {"audience": {"id": "", "on": "enter"}},
            [("entry.audience.id", "String should have at least 1 character")],
        ),
        (
            {"audience": {"id": "vip", "on": "enter", "every": "day"}},
            [("entry.audience.every", "unknown field")],
        ),
    ],
)
def test_entry_problems(entry: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    assert problems(entry) == expected


def test_exit_on_audience_validates() -> None:
    entry = {"event": "x"}
    assert problems(entry, exit_on_audience=["vip", "active"]) == []
    assert problems(entry, exit_on_audience=[""]) == [
        ("exit_on_audience[0]", "String should have at least 1 character")
    ]
    assert problems(entry, exit_on_audience="vip") == [
        ("exit_on_audience", "Input should be a valid list")
    ]


@pytest.mark.parametrize(
    "text",
    ["0 9 * * MON", "*/15 * * * *", "0 8-18/2 * * mon-fri", "30 6 1,15 * *", "0 0 1 JAN *",
     "@daily", "@HOURLY", "0 9 * * 0,7", " 5 4 * * sun "],
)  # fmt: skip
def test_cron_accepts(text: str) -> None:
    assert cron_problem(text) is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("0 9 * *", "a cron expression has 5 fields"),
        ("0 9 * * * *", "got 6"),
        ("60 * * * *", "minute '60': 60 is out of range 0-59"),
        ("* * 0 * *", "day of month '0': 0 is out of range 1-31"),
        ("* * * 13 *", "month '13': 13 is out of range 1-12"),
        ("* * * * 8", "day of week '8': 8 is out of range 0-7"),
        ("* * * * FUNDAY", "day of week 'FUNDAY': unknown value 'FUNDAY'"),
        ("*/0 * * * *", "minute '*/0': a step must be at least 1"),
        ("10-5 * * * *", "minute '10-5': range '10-5' goes backwards"),
        ("1,,2 * * * *", "minute '1,,2': use *"),
        ("@every 5m", "a cron expression has 5 fields"),
        ("0 9 * * MON; DROP", "got 6"),
    ],
)
def test_cron_refuses(text: str, problem: str) -> None:
    found = cron_problem(text)
    assert found is not None and problem in found, found


def test_realtime_entry_matches_its_audience_only() -> None:
    when = "profile.attributes.plan == 'pro'"
    defn = parsed({"audience": {"id": "vip", "on": "enter"}, "when": when})
    pro, free = (Profile(profile_id="p1", attributes={"plan": p}) for p in ("pro", "free"))
    assert entry_matches(defn, ev(AUDIENCE_ENTERED, "vip"), pro, T0)
    assert not entry_matches(defn, ev(AUDIENCE_ENTERED, "vip"), free, T0)  # `when` applies
    assert not entry_matches(defn, ev(AUDIENCE_ENTERED, "gold"), pro, T0)
    assert not entry_matches(defn, ev(AUDIENCE_EXITED, "vip"), pro, T0)
    assert not entry_matches(defn, ev(AUDIENCE_ENTERED), pro, T0)  # no audience_id
    leaving = parsed({"audience": {"id": "vip", "on": "exit"}})
    assert entry_matches(leaving, ev(AUDIENCE_EXITED, "vip"), None, T0)
    assert not entry_matches(leaving, ev(AUDIENCE_ENTERED, "vip"), None, T0)


def test_scheduled_entry_matches_its_run_event() -> None:
    defn = parsed({"audience": {"id": "vip", "schedule": "once"}})
    assert entry_matches(defn, ev(AUDIENCE_RUN, "vip"), None, T0)
    assert not entry_matches(defn, ev(AUDIENCE_ENTERED, "vip"), None, T0)
    assert entry_audience_matches(parsed({"event": "x"}), ev("x"))


def test_audience_of() -> None:
    assert audience_of(ev(AUDIENCE_EXITED, "vip")) == "vip"
    assert audience_of(ev("order.completed", "vip")) is None  # not an audience event
    assert audience_of(ev(AUDIENCE_EXITED, audience_id=7)) is None  # type: ignore[arg-type]


def test_exit_reason() -> None:
    defn = parsed({"event": "x"}, exit_on=["unsubscribed"], exit_on_audience=["vip"])
    assert exit_reason(defn, ev("unsubscribed")) == "exit_on event unsubscribed"
    assert exit_reason(defn, ev(AUDIENCE_EXITED, "vip")) == "left audience vip"
    assert exit_reason(defn, ev(AUDIENCE_EXITED, "gold")) is None
    assert exit_reason(defn, ev(AUDIENCE_ENTERED, "vip")) is None
    assert exit_reason(parsed({"event": "x"}), ev(AUDIENCE_EXITED, "vip")) is None
    # routed by audience id, not by the event name every audience shares
    assert exit_audiences(defn) == {"vip"}
    assert AUDIENCE_EXITED not in listened_events(defn)


def test_leaving_the_audience_ends_the_journey_wherever_it_is() -> None:
    defn = parsed({"audience": {"id": "vip", "on": "enter"}}, exit_on_audience=["vip"])
    start = Start(
        entry_event=ev(AUDIENCE_ENTERED, "vip", event_id="in"),
        profile=Profile(profile_id="p1"),
        journey_id="vip-welcome",
        version=1,
    )
    first = step(defn, None, start, T0, 1)
    assert isinstance(first.command, Wait)
    other = step(defn, first.state, EventReceived(event=ev(AUDIENCE_EXITED, "gold")), T0, 1)
    assert isinstance(other.command, Wait)  # another audience: nothing happens
    at = T0 + timedelta(hours=1)
    left = step(defn, other.state, EventReceived(event=ev(AUDIENCE_EXITED, "vip", "out")), at, 1)
    assert left.command == Finish(status="exited", reason="left audience vip")
    assert left.state.status == "exited"


def test_schema_describes_audience_entry() -> None:
    schema = json_schema()
    entry = schema["$defs"]["EntrySpec"]
    assert "required" not in entry  # event or audience
    audience = schema["$defs"]["AudienceEntry"]
    assert audience["required"] == ["id"]
    assert audience["properties"]["on"]["anyOf"][0]["enum"] == ["enter", "exit"]
    assert "once" in audience["properties"]["schedule"]["anyOf"][0]["examples"]
    assert schema["properties"]["exit_on_audience"]["items"]["type"] == "string"
