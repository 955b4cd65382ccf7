"""Every copy-paste example of the documentation -- the README, then the docs/ pages in the
order its Documentation table gives -- run in order, as written, against the session's API
served on a loopback port and its worker (issue 20.5; the harness is docs_examples.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi import FastAPI

from core.settings import Settings
from tests.conftest import ADMIN_KEY
from tests.integration.docs_examples import ROOT, RUNNABLE, book, guide, run

pytestmark = pytest.mark.integration

# families with no copy-paste example, and why
NO_EXAMPLE = {
    "dev": "wayline dev's mail catcher only (its example is marked not run)",
    "t": "signed tracking links inside messages",
    "unsubscribe": "signed links inside messages",
    "sms": "the SMS provider's status webhook",
}


def families(app: FastAPI) -> set[str]:
    """The first path segment after /v1/ of every documented route: one family each."""
    return {p.split("/")[2] for p in app.openapi()["paths"] if p.startswith("/v1/")}


def test_the_guide_is_every_page_in_learning_order() -> None:
    names = [p.relative_to(ROOT).as_posix() for p in guide()]
    assert names[:4] == ["README.md", "docs/concepts.md", "docs/dev-stack.md", "docs/journeys.md"]
    assert sorted(names[1:]) == sorted(
        f"docs/{p.name}" for p in (ROOT / "docs").glob("*.md") if p.name != "README.md"
    )
    assert names.index("docs/audiences.md") < names.index("docs/campaigns.md")


async def test_the_examples_work_as_written(
    api_url: str,
    runtime: object,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # what the Journeys page says to set for its action example (the API reads them at each call)
    monkeypatch.setenv("WAYLINE_SECRET_SLACK", "xoxb-docs")
    monkeypatch.setenv("WAYLINE_SECRET_SLACK_HOSTS", "hooks.example.com")
    page = book()
    answers = await run(page, api_url, ADMIN_KEY, tmp_path, {"DATABASE_URL": settings.database_url})
    assert len(answers) >= 40
    # the Journeys page's whole journey in YAML (cart-per-cart) saved as written
    assert [a.status for a in answers if "@journey-" in a.command.text] == [201]


async def test_every_endpoint_family_has_a_run_example(app: FastAPI) -> None:
    ran = {
        m
        for block in book().blocks
        if block.skip is None and block.lang in {*RUNNABLE, "python"}
        for m in re.findall(r"localhost:8000/v1/([\w-]+)", block.text)
    }
    assert len(families(app)) >= 20
    assert families(app) - set(NO_EXAMPLE) - ran == set()
