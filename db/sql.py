"""Named SQL: queries live in `db/queries/*.sql`, each after a `-- name: x` line."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

_NAME = re.compile(r"^--\s*name:\s*([a-z_][a-z0-9_]*)\s*$", re.MULTILINE)


def _parse(text: str) -> dict[str, str]:
    parts = _NAME.split(text)
    out: dict[str, str] = {}
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        if name in out:
            raise ValueError(f"query {name!r} is defined twice")
        out[name] = body.strip().rstrip(";")
    return out


@lru_cache
def _all() -> dict[str, str]:
    queries: dict[str, str] = {}
    folder = resources.files("db") / "queries"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".sql"):
            for name, body in _parse(entry.read_text()).items():
                if name in queries:
                    raise ValueError(f"query {name!r} is defined in two files")
                queries[name] = body
    return queries


def q(name: str) -> str:
    """The SQL text of a named query; a typo fails loudly at first use."""
    try:
        return _all()[name]
    except KeyError:
        raise KeyError(f"no SQL query named {name!r} in db/queries") from None


def names() -> list[str]:
    return sorted(_all())
