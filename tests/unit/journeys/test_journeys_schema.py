"""The JSON Schema: the committed file is the generated one, and it says what editors need."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from journeys.durations import DURATION_PATTERN
from journeys.schema import SCHEMA_ID, json_schema, render

COMMITTED = Path(__file__).resolve().parents[3] / "schemas" / "journey.schema.json"


def test_committed_schema_is_up_to_date() -> None:
    assert COMMITTED.read_text() == render(), (
        "regenerate with: python -m journeys.schema > schemas/journey.schema.json"
    )


def test_schema_header_and_help() -> None:
    schema = json_schema()
    assert list(schema)[:2] == ["$schema", "$id"]
    assert schema["$id"] == SCHEMA_ID
    assert schema["title"] == "Wayline journey definition"
    assert schema["required"] == ["id", "name", "entry", "start", "nodes"]
    for name, prop in schema["properties"].items():
        assert prop.get("description"), f"{name} has no description"
    nodes = schema["properties"]["nodes"]
    node_schema = next(iter(nodes["patternProperties"].values()))
    assert node_schema["discriminator"]["propertyName"] == "type"
    assert nodes["additionalProperties"] is False
    assert schema["properties"]["timeout"]["format"] == "duration"
    json.dumps(schema)  # plain JSON


@pytest.mark.parametrize(
    ("text", "ok"),
    [("PT1H", True), ("P1D", True), ("P1Y2M3W4DT5H6M7.5S", True), ("P", False), ("-P1D", False),
     ("PT", False), ("P1DT", False), ("1 day", False)],
)  # fmt: skip
def test_duration_pattern(text: str, ok: bool) -> None:
    assert bool(re.match(DURATION_PATTERN, text)) is ok


def _nullable(prop: dict[str, object]) -> dict[str, object]:
    """The non-null member of an optional field's `anyOf`."""
    members = prop.get("anyOf")
    return next(m for m in members if m != {"type": "null"}) if isinstance(members, list) else prop


def test_designer_hints() -> None:
    """The designer builds its forms from these hints alone (fields.py): references, kinds."""
    schema = json_schema()
    defs, props = schema["$defs"], schema["properties"]
    hints = {
        "template": defs["MessageNode"]["properties"]["template"]["x-wayline-ref"],
        "action": defs["ActionNode"]["properties"]["action"]["x-wayline-ref"],
        "source": defs["FetchNode"]["properties"]["source"]["x-wayline-ref"],
        "decision": defs["DecideNode"]["properties"]["decision"]["x-wayline-ref"],
        "journey": defs["JumpNode"]["properties"]["journey"]["x-wayline-ref"],
        "audience": defs["AudienceEntry"]["properties"]["id"]["x-wayline-ref"],
        "exit_on_audience": props["exit_on_audience"]["items"]["x-wayline-ref"],
        "exit_on": props["exit_on"]["items"]["x-wayline-ref"],
        "entry.event": _nullable(defs["EntrySpec"]["properties"]["event"])["x-wayline-ref"],
        "branch.when": defs["Branch"]["properties"]["when"]["x-wayline-kind"],
        "entry.when": _nullable(defs["EntrySpec"]["properties"]["when"])["x-wayline-kind"],
        "wait.until": _nullable(defs["WaitNode"]["properties"]["until"])["x-wayline-kind"],
        "set": defs["UpdateProfileNode"]["properties"]["set"]["additionalProperties"][
            "x-wayline-kind"
        ],
        "params": defs["ActionNode"]["properties"]["params"]["additionalProperties"][
            "x-wayline-kind"
        ],
        "wait.duration": _nullable(defs["WaitNode"]["properties"]["duration"])["format"],
    }
    assert hints == {
        "template": "template",
        "action": "action",
        "source": "data_source",
        "decision": "decision",
        "journey": "journey",
        "audience": "audience",
        "exit_on_audience": "audience",
        "exit_on": "event",
        "entry.event": "event",
        "branch.when": "expression",
        "entry.when": "expression",
        "wait.until": "expression",
        "set": "expression",
        "params": "template",
        "wait.duration": "duration",
    }
