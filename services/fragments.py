"""Fragments kept by name: save (checked against every other fragment), read, usage, delete.

A save is checked as a render would see it: each source compiles in the sandbox with the
fragments it includes inlined (journeys/includes.py), an unknown fragment is named, and an
include that would close a cycle is refused with its path. Saves and deletes take one
advisory lock on the include graph, so two saves cannot close a cycle between them and a
fragment cannot be deleted while a template starts to use it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg

from content.fragments import Fragment, find_cycle, sources_for, uses
from db.sql import q
from db.types import Executor
from journeys.expressions import ExpressionError, compile_template
from services.errors import Conflict, FieldProblem, Invalid, NotFound, found

FRAGMENT = "fragment"
TEMPLATE = "template"


@dataclass(frozen=True)
class Source:
    """One Jinja source of a definition being saved, and where it sits in the request."""

    field: str  # `body`, `locales.fr.subject`
    text: str
    html: bool = False
    locale: str | None = None


def fragments_of(rows: Iterable[Any]) -> dict[str, Fragment]:
    """`render_fragments` rows as the pure resolver takes them."""
    return {r["name"]: Fragment(r["body"], _json(r["locales"])) for r in rows}


def _json(value: Any) -> dict[str, Any]:
    return json.loads(value) if isinstance(value, str) else dict(value or {})


def check_sources(
    sources: Iterable[Source], fragments: Mapping[str, Fragment], root: str | None = None
) -> list[FieldProblem]:
    """Every source that does not compile with its fragments inlined, by field."""
    problems = []
    for s in sources:
        try:
            reached = sources_for([s.text], fragments, s.locale)
            compile_template(s.text, s.html, reached, root)
        except ExpressionError as exc:
            problems.append(FieldProblem(s.field, str(exc)))
    return problems


async def locked_fragments(conn: Executor) -> dict[str, Fragment]:
    """Every fragment, read under the include-graph lock of the caller's transaction."""
    await conn.execute(q("lock_fragment_graph"))
    return fragments_of(await conn.fetch(q("render_fragments")))


async def record_uses(conn: Executor, kind: str, name: str, sources: Iterable[str | None]) -> None:
    """Replace what this template or fragment includes (the usage the API lists)."""
    await conn.execute(q("forget_uses"), kind, name)
    await conn.execute(q("record_uses"), kind, name, sorted(uses(sources)))


def fragment_sources(body: str, locales: Mapping[str, str]) -> list[Source]:
    return [
        Source("body", body),
        *(Source(f"locales.{t}", s, locale=t) for t, s in locales.items()),
    ]


def _cycle_problems(
    name: str, fragment: Fragment, graph: Mapping[str, Fragment]
) -> list[FieldProblem]:
    edges = {n: uses(f.all_sources()) for n, f in graph.items()}
    edges[name] = uses(fragment.all_sources())
    cycle = find_cycle(name, edges)
    if cycle is None:
        return []
    return [FieldProblem("body", f"include cycle: {' -> '.join(cycle)}")]


async def save(
    pool: asyncpg.Pool, name: str, description: str | None, body: str, locales: Mapping[str, str]
) -> tuple[dict[str, Any], bool]:
    """Create or replace a fragment (a new version); the saved row and whether it is new."""
    fragment = Fragment(body, dict(locales))
    async with pool.acquire() as conn, conn.transaction():
        graph = await locked_fragments(conn)
        problems = _cycle_problems(name, fragment, graph)
        if not problems:
            graph[name] = fragment
            problems = check_sources(fragment_sources(body, locales), graph, root=name)
        if problems:
            raise Invalid(problems, "the fragment does not compile")
        row = await conn.fetchrow(q("put_fragment"), name, description, body, dict(locales))
        assert row is not None
        await conn.execute(
            q("keep_fragment_version"), name, row["version"], description, body, dict(locales)
        )
        await record_uses(conn, FRAGMENT, name, fragment.all_sources())
    saved = dict(row)
    return saved, saved.pop("created")


async def read(pool: Executor, name: str) -> asyncpg.Record:
    return found(await pool.fetchrow(q("read_fragment"), name), f"fragment {name!r}")


async def list_all(pool: Executor) -> list[asyncpg.Record]:
    return list(await pool.fetch(q("list_fragments")))


async def versions(pool: Executor, name: str) -> list[asyncpg.Record]:
    """Every saved version, newest first; NotFound for a fragment that does not exist."""
    await read(pool, name)
    return list(await pool.fetch(q("fragment_versions"), name))


async def users(pool: Executor, name: str) -> dict[str, list[str]]:
    """The templates and fragments that include this fragment, by kind."""
    await read(pool, name)
    return _by_kind(await pool.fetch(q("fragment_users"), name))


def _by_kind(rows: Iterable[Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {TEMPLATE: [], FRAGMENT: []}
    for r in rows:
        out[r["user_kind"]].append(r["user_name"])
    return out


async def delete(pool: asyncpg.Pool, name: str) -> None:
    """Delete a fragment nothing includes; Conflict names who still does."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(q("lock_fragment_graph"))
        using = _by_kind(await conn.fetch(q("fragment_users"), name))
        named = [f"{kind} {n!r}" for kind in (TEMPLATE, FRAGMENT) for n in using[kind]]
        if named:
            raise Conflict(f"fragment {name!r} is used by {', '.join(named)}")
        if await conn.fetchval(q("delete_fragment"), name) is None:
            raise NotFound(f"fragment {name!r}")
        await conn.execute(q("forget_uses"), FRAGMENT, name)
