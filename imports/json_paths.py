"""Walking a parsed JSON document value by value, each with its path (`events[3].name`).

Two doors refuse what PostgreSQL cannot keep — the API's (api/storable.py) and the bulk
import's rows (imports/rows.py) — and must name the same field the same way; both walk with
this. Iterative, so a document nested a thousand deep is measured, not recursed into.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any


def children(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    """The members of an object or the items of an array, each with its path."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield (f"{path}.{key}" if path else str(key)), item
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield f"{path}[{index}]", item


def walk(document: Any, root: str = "") -> Iterator[tuple[str, Any, int]]:
    """(path, value, depth) of every value in document order, the root at depth 0.

    A value's children are read only when the walk goes past it, so a caller that stops at
    a depth never pays for what lies deeper."""
    stack: list[tuple[str, Any, int]] = [(root, document, 0)]
    while stack:
        path, value, depth = stack.pop()
        yield path, value, depth
        stack.extend((p, v, depth + 1) for p, v in reversed(list(children(value, path))))
