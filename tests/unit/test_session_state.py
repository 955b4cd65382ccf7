"""Pooled connections are released without a reset query (db/pool.py), so no code may leave
session state on one: a session advisory lock, a LISTEN, a session-wide SET or set_config, a
cursor WITH HOLD. Transaction-scoped forms (pg_advisory_xact_lock, SET LOCAL, set_config(...,
true)) end with their transaction. The two owners of session state use connections of
their own: migrations (db/migrate.py, which unlocks in `finally`) and LISTEN
(workers/listener.py)."""

from __future__ import annotations

import re
from pathlib import Path

from db.sql import _all

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = (
    "activities",
    "api",
    "audiences",
    "campaigns",
    "cli",
    "core",
    "db",
    "decisions",
    "engagement",
    "entities",
    "imports",
    "services",
    "workers",
)
OWN_CONNECTIONS = {"db/migrate.py", "workers/listener.py"}
SESSION_STATE = re.compile(
    r"pg_advisory_lock(_shared)?\s*\("
    r"|add_listener\s*\("
    r"|set_config\s*\([^)]*,\s*false\s*\)"
    r"|\bWITH\s+HOLD\b"
    r"|(?<![\"'])[\"']\s*SET\s+(?!LOCAL\b)\w+\s*(=|TO\b)"
    r"|(?<![\"'])[\"']\s*LISTEN\s+\w",
    re.IGNORECASE,
)
_COMMENT = re.compile(r"--[^\n]*")


def session_state(text: str) -> list[str]:
    """The session-level statements in a piece of source (SQL comments ignored)."""
    return [m.group(0) for m in SESSION_STATE.finditer(_COMMENT.sub("", text))]


def sql_session_state(sql: str) -> list[str]:
    """The same in a named query, where a LISTEN is a statement of its own."""
    bare = _COMMENT.sub("", sql)
    return session_state(bare) + re.findall(r"\bLISTEN\s+\w+", bare, re.IGNORECASE)


def starts_with_session_set(sql: str) -> bool:
    """A named query that is a bare `SET x = ...` (not an UPDATE's SET clause)."""
    words = _COMMENT.sub("", sql).split()
    return len(words) > 1 and words[0].upper() == "SET" and words[1].upper() != "LOCAL"


def test_the_detectors_see_each_form() -> None:
    found = session_state(
        "SELECT pg_advisory_lock(1); SELECT set_config('a', 'b', false);"
        " DECLARE c CURSOR WITH HOLD FOR SELECT 1; await conn.add_listener('x', cb);"
        ' conn.execute("SET work_mem = 1"); conn.execute("LISTEN wake")'
    )
    assert len(found) == 6
    assert sql_session_state("LISTEN wake") == ["LISTEN wake"]
    assert (
        session_state(
            "SELECT pg_advisory_xact_lock(1); SELECT set_config('a', 'b', true);"
            ' conn.execute("SET LOCAL work_mem = 1"); UPDATE t SET a = 1 -- LISTEN x'
            ' """LISTEN first, then load"""'
        )
        == []
    )
    assert starts_with_session_set("SET statement_timeout = 0")
    assert not starts_with_session_set("SET LOCAL statement_timeout = 0")


def test_no_named_query_leaves_session_state() -> None:
    offending = {
        name: sql_session_state(sql) or ["SET"]
        for name, sql in _all().items()
        if sql_session_state(sql) or starts_with_session_set(sql)
    }
    assert offending == {}


def test_no_source_leaves_session_state_on_a_pooled_connection() -> None:
    offending = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative not in OWN_CONNECTIONS and (found := session_state(path.read_text())):
                offending[relative] = found
    assert offending == {}
