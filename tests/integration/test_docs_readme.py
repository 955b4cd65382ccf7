"""Every copy-paste example of the README, in order, as written, against the session's API
served on a loopback port and its worker (issue 20.5; the harness is docs_examples.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import Settings
from tests.conftest import ADMIN_KEY
from tests.integration.docs_examples import ROOT, run, section

pytestmark = pytest.mark.integration


async def test_the_readme_examples_work_as_written(
    api_url: str,
    runtime: object,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # what the README says to set for its action example (the API reads them at each call)
    monkeypatch.setenv("WAYLINE_SECRET_SLACK", "xoxb-docs")
    monkeypatch.setenv("WAYLINE_SECRET_SLACK_HOSTS", "hooks.example.com")
    page = section(ROOT / "README.md")
    answers = await run(page, api_url, ADMIN_KEY, tmp_path, {"DATABASE_URL": settings.database_url})
    assert len(answers) >= 40
    # the scripts, the dev mail catcher, the CLI synopsis, the CLI backtest of one's own files
    assert len(page.skipped) == 4, [(b.line, b.skip) for b in page.skipped]
