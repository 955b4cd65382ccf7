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
