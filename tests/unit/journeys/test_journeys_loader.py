"""Reading YAML and JSON definition text."""

from __future__ import annotations

import pytest

from journeys.loader import DefinitionSyntaxError, load_text


@pytest.mark.parametrize(
    ("text", "content_type"),
    [
        ("id: a\nname: A\n", None),
        ("id: a\nname: A\n", "application/yaml"),
        ("id: a\nname: A\n", "text/plain"),
        ('{"id": "a", "name": "A"}', None),
        ('{"id": "a", "name": "A"}', "application/json"),
        ('{"id": "a", "name": "A"}', "application/json; charset=utf-8"),
        ('{"id": "a", "name": "A"}', "application/vnd.wayline+json"),
    ],
)
def test_loads_mappings(text: str, content_type: str | None) -> None:
    assert load_text(text, content_type) == {"id": "a", "name": "A"}


def test_yaml_keeps_timestamps_and_durations_as_strings() -> None:
    data = load_text("until: 2024-05-01T09:00:00Z\nday: 2024-05-01\ntimeout: P1D\n", None)
    assert data == {"until": "2024-05-01T09:00:00Z", "day": "2024-05-01", "timeout": "P1D"}


@pytest.mark.parametrize(
    ("text", "content_type", "message", "line"),
    [
        ("- a\n- b\n", None, "must be a mapping, got a list", 1),
        ("", None, "got an empty document", 1),
        ('"text"', "application/json", "got a string", 1),
        ("id: a\nnodes: [\n", None, "invalid YAML", 3),
        ("id: a\n  bad: indent\n", None, "invalid YAML", 2),
        ('{\n"id": "a",\n}', "application/json", "invalid JSON", 3),
        ("a: &x 1\nb: *x\n", None, "aliases", 2),
        ("id: a\nname: A\nid: b\n", None, "duplicate key 'id'", 3),
        ("nodes:\n  x: {type: end}\n  x: {type: end}\n", None, "duplicate key 'x'", 3),
        ('{"id": "a", "id": "b"}', "application/json", "duplicate key 'id'", None),
        ('{"timeout": NaN}', "application/json", "NaN is not a number", None),
        ("a: 1\n" + "#" * 1_000_001, None, "too large", None),
    ],
)
def test_syntax_errors(text: str, content_type: str | None, message: str, line: int | None) -> None:
    with pytest.raises(DefinitionSyntaxError, match=message) as caught:
        load_text(text, content_type)
    assert caught.value.line == line
