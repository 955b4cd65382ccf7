"""How many copy-paste examples each page of the documentation runs, and how many it shows
without running (each with a visible `<!-- not run: ... -->` reason): an example dropped
by a move, or a new block nobody meant to leave unrun, changes these on purpose (issue
20.5; test_docs_readme.py runs them all, in the guide's order)."""

from __future__ import annotations

import pytest

from tests.integration.docs_examples import ROOT, RUNNABLE, guide, section

# page: (examples run, examples not run)
PAGES = {
    "README.md": (2, 1),
    "docs/concepts.md": (0, 0),
    "docs/dev-stack.md": (0, 2),
    "docs/journeys.md": (4, 2),
    "docs/api.md": (1, 0),
    "docs/events-and-profiles.md": (2, 0),
    "docs/audiences.md": (1, 0),
    "docs/entities.md": (3, 0),
    "docs/channels.md": (2, 0),
    "docs/content.md": (3, 0),
    "docs/campaigns.md": (6, 0),
    "docs/decisioning.md": (2, 0),
    "docs/destinations.md": (1, 0),
    "docs/reports.md": (1, 0),
    "docs/telemetry.md": (1, 0),
    "docs/console.md": (0, 0),
    "docs/benchmarks.md": (0, 0),
    "docs/deploy.md": (0, 4),
    "docs/operators.md": (1, 13),
    "docs/safe-deploys.md": (0, 7),
    "docs/capacity.md": (0, 0),
    "docs/architecture.md": (0, 0),
}


def test_every_page_is_counted_in_the_guides_order() -> None:
    assert [p.relative_to(ROOT).as_posix() for p in guide()] == list(PAGES)


@pytest.mark.parametrize("name", list(PAGES))
def test_the_pages_examples_are_counted(name: str) -> None:
    page = section(ROOT / name)
    code = [b for b in page.blocks if b.lang in {*RUNNABLE, "python"}]
    assert (len(code) - len(page.skipped), len(page.skipped)) == PAGES[name]
    assert all(b.skip for b in page.skipped), "a not-run marker says why"
