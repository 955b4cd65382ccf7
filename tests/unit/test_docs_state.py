"""docs/operators.md documents every field of the `state` query's answer (`JourneyState`), so
an operator reading a stuck journey's state finds each field explained (issue 20.7). A field
added to the state without its row fails here."""

from __future__ import annotations

import re
from pathlib import Path

from journeys.runtime import JourneyState

OPERATORS = Path(__file__).resolve().parents[2] / "docs" / "operators.md"
ROW = re.compile(r"^\| (?P<names>`[a-z_]+`(?:, `[a-z_]+`)*) \|")


def documented_fields() -> set[str]:
    text = OPERATORS.read_text()
    section = text[text.index("## See why it waits") : text.index("## List journeys waiting")]
    names: set[str] = set()
    for line in section.splitlines():
        m = ROW.match(line)
        if m:
            names |= set(re.findall(r"`([a-z_]+)`", m["names"]))
    return names


def test_every_state_field_is_documented_and_no_other() -> None:
    assert documented_fields() == set(JourneyState.model_fields)
