"""docs/deploy.md's configuration reference matches core/settings.py, and the docs index lists
every page (links are checked by test_docs_contents.py).

A setting added to `Settings` without a row in the reference fails here (add the row to
the right table in docs/deploy.md with the default shown exactly as below); so does a
documented variable that nothing reads any more.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from pydantic.fields import FieldInfo

from core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY_DOC = ROOT / "docs" / "deploy.md"
# Variables read outside Settings: by the OpenTelemetry SDK and the telemetry modules, and
# the per-name secrets of actions and data sources.
OTHER_VARIABLES = {
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_SERVICE_NAME",
    "WAYLINE_LOG_FORMAT",
    "WAYLINE_WORKER_METRICS_PORT",
    "WAYLINE_SECRET_<NAME>",
    "WAYLINE_SECRET_<NAME>_HOSTS",
}
ROW = re.compile(r"^\| `(?P<name>[A-Z][A-Z0-9_<>]*)`(?P<secret> 🔒)? \| (?P<default>[^|]*?) \|")


def reference() -> dict[str, dict[str, Any]]:
    text = DEPLOY_DOC.read_text()
    section = text[text.index("## Configuration reference") :]
    rows: dict[str, dict[str, Any]] = {}
    for line in section.splitlines():
        m = ROW.match(line)
        if m:
            assert m["name"] not in rows, f"{m['name']} is documented twice"
            rows[m["name"]] = {"default": m["default"].strip(), "secret": bool(m["secret"])}
    return rows


def shown_default(field: FieldInfo) -> str:
    value = field.default
    if value is None:
        return "none"
    if value == "":
        return "empty"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    return f"`{value}`"


SETTINGS = {field.alias: field for field in Settings.model_fields.values() if field.alias}


def test_every_setting_is_documented_with_its_default() -> None:
    rows = reference()
    missing = sorted(set(SETTINGS) - set(rows))
    assert not missing, f"add to docs/deploy.md's configuration reference: {missing}"
    for name, field in SETTINGS.items():
        assert rows[name]["default"] == shown_default(field), name


def test_nothing_documented_that_nobody_reads() -> None:
    stale = set(reference()) - set(SETTINGS) - OTHER_VARIABLES
    assert not stale, f"documented but not read: {sorted(stale)}"


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_secrets_are_marked(name: str) -> None:
    field = SETTINGS[name]
    annotation = str(field.annotation)
    if "SecretStr" in annotation or name in ("DATABASE_URL", "WAYLINE_API_KEY"):
        assert reference()[name]["secret"], f"mark {name} with 🔒"


def test_docs_index_lists_every_page() -> None:
    index = (ROOT / "docs" / "README.md").read_text()
    for page in (ROOT / "docs").glob("*.md"):
        if page.name != "README.md":
            assert f"({page.name})" in index, page.name
