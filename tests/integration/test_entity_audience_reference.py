"""Compiled entity audience SQL agrees with the Python reference semantics, in a real Postgres.

Random rule trees over bookings (with a path through their hotel, windows and
aggregates) and products reached through views run against fixed records in a database
of their own; the ids the SQL returns must be exactly those the reference accepts,
whole-table and scoped to some ids. Stored strings and rule values are hostile, and the
tables must still be there afterwards.
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

from audiences.entity_check import problems
from audiences.entity_reference import EntityData
from audiences.rules import matches, parse_rule
from audiences.sql import count_members, select_members
from core.settings import Settings
from db.migrate import migrate_url
from entities import ddl
from entities.identifiers import column, table
from tests.audience_data import NOW
from tests.entity_audience_data import ORDER, TYPES, entity_rules, records

pytestmark = pytest.mark.integration

PROFILES = [f"p{i:02d}" if i % 5 else f"p{i:02d}'; DROP TABLE profiles; --" for i in range(30)]


@dataclass
class World:
    loop: asyncio.AbstractEventLoop
    conn: asyncpg.Connection
    data: EntityData

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)


async def _load(dsn: str, data: dict[str, list[dict[str, Any]]]) -> asyncpg.Connection:
    await migrate_url(dsn, create=True)
    conn = await asyncpg.connect(dsn)
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    await conn.executemany(
        "INSERT INTO profiles (profile_id, attributes) VALUES ($1, '{}')", [(p,) for p in PROFILES]
    )
    for name in ORDER:
        for statement in ddl.create(name, TYPES[name], TYPES):
            await conn.execute(statement)
        cols = list(data[name][0])
        names = ", ".join(c if c.startswith("_") else column(c) for c in cols)
        marks = ", ".join(f"${i}" for i in range(1, len(cols) + 1))
        await conn.executemany(
            f"INSERT INTO {table(name)} ({names}) VALUES ({marks})",
            [[r[c] for c in cols] for r in data[name]],
        )
    return conn


@pytest.fixture(scope="module")
def world(settings: Settings, migrated: None) -> Iterator[World]:
    base = settings.database_url.rsplit("/", 1)[0]
    dsn = f"{base}/ent{uuid.uuid4().hex[:10]}"
    data = records(PROFILES)
    loop = asyncio.new_event_loop()
    try:
        conn = loop.run_until_complete(_load(dsn, data))
        yield World(loop, conn, EntityData(TYPES, data))
        loop.run_until_complete(conn.close())
    finally:
        loop.close()


def expected(world: World, rule: Any, ids: set[str] | None = None) -> set[str]:
    return {
        p
        for p in PROFILES
        if (ids is None or p in ids)
        and matches(
            rule,
            email=None,
            phone=None,
            timezone=None,
            attributes={},
            events=[],
            now=NOW,
            entity=world.data.matcher(p, NOW),
        )
    }


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=entity_rules(), pick=st.randoms(use_true_random=False))
def test_sql_equals_reference(world: World, raw: dict[str, Any], pick: Any) -> None:
    rule, found = parse_rule(raw)
    assert rule is not None, found
    assert problems(rule, TYPES) == []
    compiled = select_members(rule, NOW, types=TYPES)
    got = {r[0] for r in world.run(world.conn.fetch(compiled.sql, *compiled.params))}
    assert got == expected(world, rule), compiled.sql

    counted = count_members(rule, NOW, TYPES)
    assert world.run(world.conn.fetchval(counted.sql, *counted.params)) == len(got)

    ids = {p for p in PROFILES if pick.random() < 0.3}
    scoped = select_members(rule, NOW, sorted(ids), TYPES)
    got_scoped = {r[0] for r in world.run(world.conn.fetch(scoped.sql, *scoped.params))}
    assert got_scoped == expected(world, rule, ids)


def test_the_data_makes_rules_discriminate(world: World) -> None:
    """Guard against a vacuous property: typical rules match some profiles, not all."""
    for raw in (
        {"entity": "booking", "where": [{"field": "hotel.city", "op": "eq", "value": "Lyon"}]},
        {
            "entity": "booking",
            "aggregate": {"fn": "sum", "field": "total", "op": "gt", "value": 200},
        },
        {
            "entity": "product",
            "via": {"entity": "view", "relation": "product"},
            "where": [{"field": "stock", "op": "lt", "value": 10}],
        },
    ):
        rule, _ = parse_rule(raw)
        assert rule is not None
        got = expected(world, rule)
        assert 0 < len(got) < len(PROFILES), raw
        compiled = select_members(rule, NOW, types=TYPES)
        assert {r[0] for r in world.run(world.conn.fetch(compiled.sql, *compiled.params))} == got


def test_hostile_values_leave_the_schema_intact(world: World) -> None:
    hostile = "x'); DELETE FROM entities.e_booking; --"
    raw = {
        "or": [
            {"entity": "booking", "where": [{"field": "hotel.city", "op": "eq", "value": hostile}]},
            {
                "entity": "booking",
                "where": [{"field": "guest", "op": "in", "value": [hostile, "\\'"]}],
            },
            {
                "entity": "product",
                "via": {"entity": "view", "relation": "product"},
                "where": [{"field": "name", "op": "starts_with", "value": "%' OR 1=1 --"}],
            },
        ]
    }
    rule, found = parse_rule(raw)
    assert rule is not None, found
    compiled = select_members(rule, NOW, types=TYPES)
    assert hostile not in compiled.sql and "OR 1=1" not in compiled.sql
    assert world.run(world.conn.fetch(compiled.sql, *compiled.params)) == []
    for name in ORDER:
        count = world.run(world.conn.fetchval(f"SELECT count(*) FROM {table(name)}"))
        assert count == len(world.data.records[name])
