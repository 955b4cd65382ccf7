"""The pure packages stay pure: none imports Temporal, the database driver, an HTTP client or
the web framework (DESIGN.md, "Shape"), so they are unit-tested without any server and
the workflow sandbox can import them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PURE = ["journeys", "audiences", "campaigns", "imports"]
FORBIDDEN = {"temporalio", "asyncpg", "httpx", "httpcore", "fastapi", "aiosmtplib", "socket"}


def imported(path: Path) -> set[str]:
    """Top-level names of every module the file imports (at any depth of the code)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", PURE)
def test_pure_package_imports_no_io(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"{package}/ has no modules"
    found = {str(f.relative_to(ROOT)): imported(f) & FORBIDDEN for f in files}
    assert {f: names for f, names in found.items() if names} == {}
