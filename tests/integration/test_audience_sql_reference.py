"""Compiled audience SQL agrees with the Python reference semantics, in a real Postgres.

Random rule trees (hypothesis) over a vocabulary full of hostile keys and values run
against a fixed set of profiles and events in a database of their own; the ids the SQL
returns must be exactly those `matches` accepts — whole-table and scoped to some ids.
The tables must still be there afterwards (no injection got through).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audiences.rules import EventFact, matches, parse_rule
from audiences.sql import count_members, select_members
from core.settings import Settings
from db.migrate import migrate_url
from tests.audience_data import NOW, dataset, rules

pytestmark = pytest.mark.integration


@dataclass
class World:
    loop: asyncio.AbstractEventLoop
    conn: asyncpg.Connection
    profiles: list[dict[str, Any]]
    events: list[dict[str, Any]]

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)


async def _load(dsn: str, profiles: list[dict[str, Any]], events: list[dict[str, Any]]) -> Any:
    await migrate_url(dsn, create=True)
    conn = await asyncpg.connect(dsn)
    await conn.executemany(
        "INSERT INTO profiles (profile_id, email, phone, timezone, attributes) "
        "VALUES ($1, $2, $3, $4, $5::jsonb)",
        [
            (p["profile_id"], p["email"], p["phone"], p["timezone"], json.dumps(p["attributes"]))
            for p in profiles
        ],
    )
    await conn.executemany(
        "INSERT INTO events (event_id, name, profile_id, ts, properties) "
        "VALUES ($1, $2, $3, $4, $5::jsonb)",
        [
            (e["event_id"], e["name"], e["profile_id"], e["ts"], json.dumps(e["properties"]))
            for e in events
        ],
    )
    return conn


@pytest.fixture(scope="module")
def world(settings: Settings, migrated: None) -> Iterator[World]:
    base = settings.database_url.rsplit("/", 1)[0]
    dsn = f"{base}/aud{uuid.uuid4().hex[:10]}"
    profiles, events = dataset("p")
    loop = asyncio.new_event_loop()
    try:
        conn = loop.run_until_complete(_load(dsn, profiles, events))
        yield World(loop, conn, profiles, events)
        loop.run_until_complete(conn.close())
    finally:
        loop.close()


def expected(world: World, rule: Any, ids: set[str] | None = None) -> set[str]:
    facts: dict[str, list[EventFact]] = {}
    for e in world.events:
        facts.setdefault(e["profile_id"], []).append(
            EventFact(name=e["name"], ts=e["ts"], properties=e["properties"])
        )
    return {
        p["profile_id"]
        for p in world.profiles
        if (ids is None or p["profile_id"] in ids)
        and matches(
            rule,
            email=p["email"],
            phone=p["phone"],
            timezone=p["timezone"],
            attributes=p["attributes"],
            events=facts.get(p["profile_id"], []),
            now=NOW,
        )
    }


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=rules(), pick=st.randoms(use_true_random=False))
def test_sql_equals_reference(world: World, raw: dict[str, Any], pick: Any) -> None:
    rule, problems = parse_rule(raw)
    assert rule is not None, problems
    compiled = select_members(rule, NOW)
    got = {r[0] for r in world.run(world.conn.fetch(compiled.sql, *compiled.params))}
    assert got == expected(world, rule), compiled.sql

    counted = count_members(rule, NOW)
    assert world.run(world.conn.fetchval(counted.sql, *counted.params)) == len(got)

    ids = {p["profile_id"] for p in world.profiles if pick.random() < 0.3}
    scoped = select_members(rule, NOW, sorted(ids))
    got_scoped = {r[0] for r in world.run(world.conn.fetch(scoped.sql, *scoped.params))}
    assert got_scoped == expected(world, rule, ids)


def test_hostile_rules_leave_the_schema_intact(world: World) -> None:
    raw = {
        "or": [
            {
                "attribute": "'; DROP TABLE profiles; --",
                "op": "eq",
                "value": "x'); DELETE FROM events; --",
            },
            {"attribute": "a') OR 1=1 --", "op": "in", "value": ["' OR '1'='1", "\\'"]},
            {"attribute": "{attributes}", "op": "exists"},
            {"attribute": '$.plan ? (@ == "pro")', "op": "contains", "value": "%' --"},
            {"field": "email", "op": "starts_with", "value": "'; TRUNCATE profiles; --"},
            {
                "event": "x'; DROP TABLE events; --",
                "where": [{"property": "a'||pg_sleep(5)||'", "op": "eq", "value": "\\x00"}],
            },
        ]
    }
    rule, problems = parse_rule(raw)
    assert rule is not None, problems
    compiled = select_members(rule, NOW)
    assert world.run(world.conn.fetch(compiled.sql, *compiled.params)) == []
    assert world.run(world.conn.fetchval("SELECT count(*) FROM profiles")) == len(world.profiles)
    assert world.run(world.conn.fetchval("SELECT count(*) FROM events")) == len(world.events)
