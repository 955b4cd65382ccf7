"""A message node with `per`: records read by a command, one message per record, in order."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from journeys.interpreter import (
    Finish,
    RecordsSelected,
    SelectRecords,
    SendMessage,
    TimerFired,
    Wait,
)
from journeys.nodes.message import MessageNode
from journeys.per_entity import PerEntity, parsed_per
from journeys.runtime import EntityRecord
from tests.unit.journeys.test_journeys_interpreter import END, HOUR, MIN, Run, definition, sent

PER = {"entity": "booking", "where": [{"field": "status", "op": "eq", "value": "confirmed"}]}


def per_msg(next_: str = "done", **extra: Any) -> dict[str, Any]:
    node = {"type": "message", "channel": "log", "template": "t", "next": next_, "per": PER}
    return {**node, **extra}


def record(key: str) -> EntityRecord:
    return EntityRecord(type="booking", key=key, scope={"type": "booking", "key": key})


def selected(*keys: str, visit: int = 1) -> RecordsSelected:
    return RecordsSelected(node="remind", visit=visit, records=[record(k) for k in keys])


def test_the_records_are_read_first_then_one_message_each_in_order() -> None:
    run = Run(definition({"remind": per_msg(), "done": END}))
    assert run.command == SelectRecords(node="remind", visit=1, per=PerEntity(**PER))
    first = run.feed(selected("b1", "b2", "b3"), MIN)
    assert isinstance(first, SendMessage) and first.entity == record("b1")
    second = run.feed(sent("remind", "m1"), MIN)
    assert isinstance(second, SendMessage) and second.entity == record("b2")
    third = run.feed(sent("remind", "m2", "skipped"), MIN)
    assert isinstance(third, SendMessage) and third.entity == record("b3")
    assert run.feed(sent("remind", "m3"), MIN) == Finish(status="completed")
    assert run.outcomes()[0] == ("remind", "3 booking: 2 sent, 1 skipped")
    assert run.state.selection is None
    assert run.state.messages == {"remind": "m3"}


def test_no_matching_record_goes_on_without_a_message() -> None:
    run = Run(definition({"remind": per_msg(), "done": END}))
    assert run.feed(selected(), MIN) == Finish(status="completed")
    assert run.outcomes()[0] == ("remind", "no matching booking")


def test_a_repeated_or_foreign_answer_changes_nothing() -> None:
    run = Run(definition({"remind": per_msg(), "done": END}))
    assert run.feed(selected("b1", visit=2), MIN) == run.command  # another visit's answer
    assert isinstance(run.command, SelectRecords)
    run.feed(selected("b1", "b2"), MIN)
    again = run.feed(selected("b9"), MIN)  # records were read already
    assert isinstance(again, SendMessage) and again.entity == record("b1")


def test_each_visit_reads_the_records_again() -> None:
    nodes = {
        "remind": per_msg("pause"),
        "pause": {"type": "wait", "duration": "PT1H", "next": "remind"},
    }
    run = Run(definition(nodes))
    run.feed(selected("b1"), MIN)
    assert isinstance(run.feed(sent("remind", "m1"), MIN), Wait)
    assert run.feed(TimerFired(), 2 * HOUR) == SelectRecords(
        node="remind", visit=2, per=PerEntity(**PER)
    )


def test_quiet_hours_hold_the_reading_until_they_end() -> None:
    quiet = {"start": "11:00", "end": "13:00", "timezone": "UTC"}  # T0 is 12:00 UTC
    run = Run(definition({"remind": per_msg(quiet_hours=quiet), "done": END}))
    assert isinstance(run.command, Wait)
    assert isinstance(run.feed(TimerFired(), HOUR), SelectRecords)


def test_per_does_not_take_send_time() -> None:
    raw = per_msg(send_time={"optimize": "opened"})
    with pytest.raises(ValidationError, match="send_time"):
        MessageNode.model_validate(raw)


def test_the_state_with_a_selection_survives_continue_as_new() -> None:
    run = Run(definition({"remind": per_msg(), "done": END}))
    run.feed(selected("b1", "b2"), MIN)
    run.feed(sent("remind", "m1"), MIN)
    copy = type(run.state).model_validate_json(run.state.model_dump_json())
    assert copy.selection is not None and copy.selection.current() == record("b2")


def test_a_stored_per_parses_or_is_none() -> None:
    assert parsed_per({"entity": "booking"}) == PerEntity(entity="booking")
    assert parsed_per({"entity": ""}) is None
    assert parsed_per(None) is None


def test_a_malformed_per_is_a_problem_under_its_node() -> None:
    from journeys.validate import parse_definition

    bad = {**PER, "limit": 0, "where": [{"field": "status", "op": "like"}]}
    data = {
        "id": "stays",
        "name": "Stays",
        "entry": {"event": "trip.planned"},
        "start": "remind",
        "nodes": {"remind": per_msg(per=bad), "done": END},
    }
    definition, problems = parse_definition(data)
    assert definition is None
    paths = sorted(p.path for p in problems)
    assert paths == ["nodes.remind.per.limit", "nodes.remind.per.where[0].op"], problems
