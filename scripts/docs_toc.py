"""Rewrite the table of contents of every page in docs/ from its headings.

Run after changing a page's headings: `.venv/bin/python scripts/docs_toc.py`. A page's
contents sit between `<!-- toc -->` and `<!-- /toc -->`; `tests/unit/test_docs_contents.py`
fails while one is stale, so a reader never follows a contents link to nowhere.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OPEN, CLOSE = "<!-- toc -->", "<!-- /toc -->"
FENCE = re.compile(r"^(```|~~~)")
HEADING = re.compile(r"^(#{1,6}) +(.+?) *#*$")
LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")


def headings(text: str) -> list[tuple[int, str, str]]:
    """(level, title, anchor) of every heading outside code blocks, anchors made as GitHub
    makes them, a repeated title numbered (`-1`, `-2`) as GitHub numbers it."""
    found, seen, fenced = [], dict[str, int](), False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
        elif not fenced and (m := HEADING.match(line)):
            slug = anchor(m.group(2))
            n = seen.get(slug, 0)
            seen[slug] = n + 1
            found.append((len(m.group(1)), m.group(2), slug if n == 0 else f"{slug}-{n}"))
    return found


def anchor(title: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation but `-` and `_` dropped,
    spaces made hyphens; link text (`[x](y)`) counts as its text only."""
    text = plain(title).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def plain(title: str) -> str:
    """A heading's text with its links reduced to their text."""
    return LINK.sub(r"\1", title)


def contents(text: str) -> str:
    """The page's contents: its `##` and `###` headings as a nested list of links."""
    lines = [
        f"{'  ' * (level - 2)}- [{plain(title)}](#{slug})"
        for level, title, slug in headings(text)
        if level in (2, 3)
    ]
    return "\n".join(["**Contents**", "", *lines])


def with_contents(text: str, toc: str) -> str:
    """`text` with what lies between its contents markers replaced by `toc`."""
    start, end = text.index(OPEN) + len(OPEN), text.index(CLOSE)
    return f"{text[:start]}\n{toc}\n{text[end:]}"


def main() -> None:
    for page in sorted((ROOT / "docs").glob("*.md")):
        text = page.read_text()
        if OPEN in text:
            page.write_text(with_contents(text, contents(text)))


if __name__ == "__main__":
    main()
