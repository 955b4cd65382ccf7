"""Every copy-paste example of the pages in docs/ runs as written, or says why not with a
visible `<!-- not run: ... -->` marker (issue 20.5; the harness is docs_examples.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ADMIN_KEY
from tests.integration.docs_examples import ROOT, RUNNABLE, run, section

pytestmark = pytest.mark.integration

# page: (examples run, examples not run) -- a new block changes these on purpose
PAGES = {
    "operators.md": (1, 13),
    "deploy.md": (0, 4),
    "safe-deploys.md": (0, 7),
    "architecture.md": (0, 0),
    "capacity.md": (0, 0),
}


def test_every_docs_page_is_counted() -> None:
    assert sorted(p.name for p in (ROOT / "docs").glob("*.md")) == sorted([*PAGES, "README.md"])


@pytest.mark.parametrize("name", sorted(PAGES))
async def test_the_docs_examples_work_as_written(
    name: str, api_url: str, runtime: object, tmp_path: Path
) -> None:
    page = section(ROOT / "docs" / name)
    code = [b for b in page.blocks if b.lang in {*RUNNABLE, "python"}]
    assert (len(code) - len(page.skipped), len(page.skipped)) == PAGES[name]
    await run(page, api_url, ADMIN_KEY, tmp_path)
