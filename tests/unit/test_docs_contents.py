"""The documentation's tables of contents are current and every link in it lands: on a file
of the repository and, when it names one, on a heading of that page (issue 20.6). The pages
moved out of the README once; a heading renamed since must not leave a link to nowhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scripts.docs_toc import OPEN, contents, headings, with_contents

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def anchors(page: Path) -> set[str]:
    return {slug for _level, _title, slug in headings(page.read_text())}


def prose(text: str) -> str:
    """The page without its code blocks, where `](` is code, not a link."""
    return re.sub(r"^```.*?^```", "", text, flags=re.MULTILINE | re.DOTALL)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_link_lands_on_a_file_and_heading(page: Path) -> None:
    for target in LINK.findall(prose(page.read_text())):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, fragment = target.partition("#")
        landing = (page.parent / path).resolve() if path else page
        assert landing.exists(), f"{page.name}: broken link {target}"
        if fragment and landing.suffix == ".md":
            assert fragment in anchors(landing), f"{page.name}: no heading for {target}"


@pytest.mark.parametrize(
    "page", [p for p in PAGES if p.parent.name == "docs"], ids=lambda p: p.name
)
def test_every_page_has_current_contents(page: Path) -> None:
    text = page.read_text()
    if page.name == "README.md":
        return
    assert OPEN in text, f"{page.name} has no table of contents"
    assert with_contents(text, contents(text)) == text, "run scripts/docs_toc.py"


def test_contents_list_the_pages_headings() -> None:
    text = (
        "# T\n\n<!-- toc -->\n<!-- /toc -->\n\n## One `a`\n```\n## no\n```\n### Two\n## One `a`\n"
    )
    assert contents(text).splitlines() == [
        "**Contents**",
        "",
        "- [One `a`](#one-a)",
        "  - [Two](#two)",
        "- [One `a`](#one-a-1)",
    ]
