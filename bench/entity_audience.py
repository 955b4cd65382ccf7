"""Entity audiences at scale: compiled rules over bookings against bare SQL, same run.

    .venv/bin/python -m bench.entity_audience                      # 100,000 profiles, ~1 min
    .venv/bin/python -m bench.entity_audience --profiles 1000000   # the issue's 1M / 3M target

Starts an embedded PostgreSQL in a temporary folder (removed at the end), applies the
migrations, creates the entity types `hotel`, `booking` (3 per profile on average, related
to the profile and to a hotel), `product` and `view` (1 per profile) from their definitions
with `entities/ddl.py` (so the tables, indexes and triggers are those the API makes), loads
them with COPY and ANALYZEs. Then for each audience it times, median of `--rounds`:
  - `compiled`: the count the estimate endpoint runs (audiences/sql.py over entity_sql.py),
  - `bare`: the same question written by hand in plain SQL,
checks both counts agree and prints the ratio compiled / bare. Last, one audience is
materialized with `evaluate` (members, change log, outbox events) and evaluated again.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from audiences.entity_check import problems
from audiences.rules import parse_rule
from audiences.sql import count_members
from db.migrate import migrate_url
from db.pool import create_pool
from entities import ddl
from entities.model import Definition
from services.audiences import evaluate
from workers.embedded import EmbeddedPostgres, free_port

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
CITIES = ["Lyon", "Paris", "Nice", "Lille", "Nantes", "Brest", "Metz", "Pau", "Caen", "Albi"]
STATUSES = ["confirmed"] * 6 + ["held"] * 3 + ["cancelled"]
CHUNK = 100_000
HOTELS = 2_000
PRODUCTS = 10_000

TYPES = {
    name: Definition.model_validate(raw)
    for name, raw in {
        "hotel": {
            "fields": {"code": {"type": "string"}, "city": {"type": "string"}},
            "primary_key": "code",
        },
        "booking": {
            "fields": {
                "booking_id": {"type": "string"},
                "status": {"type": "enum", "values": ["confirmed", "held", "cancelled"]},
                "total": {"type": "number"},
                "departure": {"type": "timestamp"},
                "booked_at": {"type": "timestamp"},
            },
            "primary_key": "booking_id",
            "relations": {"guest": {"to": "profile"}, "hotel": {"to": "hotel"}},
        },
        "product": {
            "fields": {"sku": {"type": "string"}, "stock": {"type": "number"}},
            "primary_key": "sku",
        },
        "view": {
            "fields": {"view_id": {"type": "string"}},
            "primary_key": "view_id",
            "relations": {"who": {"to": "profile"}, "product": {"to": "product"}},
        },
    }.items()
}


def _at(delta: timedelta) -> str:
    return f"timestamptz '{(NOW + delta).isoformat()}'"


B = "entities.e_booking"
# (name, rule, bare SQL with the same meaning)
AUDIENCES: list[tuple[str, dict[str, Any], str]] = [
    (
        "confirmed booking departing within 7 days",
        {
            "entity": "booking",
            "where": [
                {"field": "status", "op": "eq", "value": "confirmed"},
                {"field": "departure", "op": "within_next", "value": "P7D"},
            ],
        },
        f"SELECT count(*) FROM profiles p WHERE p.profile_id IN (SELECT guest FROM {B} "
        f"WHERE status = 'confirmed' AND departure BETWEEN {_at(timedelta())} "
        f"AND {_at(timedelta(days=7))})",
    ),
    (
        "sum of total over 90 days > 500",
        {
            "entity": "booking",
            "within": "P90D",
            "on": "booked_at",
            "aggregate": {"fn": "sum", "field": "total", "op": "gt", "value": 500},
        },
        f"SELECT count(*) FROM profiles p WHERE p.profile_id IN (SELECT guest FROM {B} "
        f"WHERE booked_at BETWEEN {_at(-timedelta(days=90))} AND {_at(timedelta())} "
        "GROUP BY guest HAVING sum(total) > 500)",
    ),
    (
        "at least 3 bookings",
        {"entity": "booking", "at_least": 3},
        f"SELECT count(*) FROM profiles p WHERE p.profile_id IN (SELECT guest FROM {B} "
        "GROUP BY guest HAVING count(*) >= 3)",
    ),
    (
        "a booking whose hotel.city = Lyon",
        {"entity": "booking", "where": [{"field": "hotel.city", "op": "eq", "value": "Lyon"}]},
        f"SELECT count(*) FROM profiles p WHERE p.profile_id IN (SELECT b.guest FROM {B} b "
        "JOIN entities.e_hotel h ON h.code = b.hotel WHERE h.city = 'Lyon')",
    ),
    (
        "viewed a product whose stock < 10 (via)",
        {
            "entity": "product",
            "via": {"entity": "view", "relation": "product"},
            "where": [{"field": "stock", "op": "lt", "value": 10}],
        },
        "SELECT count(*) FROM profiles p WHERE p.profile_id IN (SELECT v.who FROM "
        "entities.e_view v JOIN entities.e_product s ON s.sku = v.product WHERE s.stock < 10)",
    ),
]


def _ts(rnd: random.Random, days_before: int, days_after: int) -> datetime:
    return NOW + timedelta(minutes=rnd.randint(-days_before * 1440, days_after * 1440))


def booking_rows(n: int, rnd: random.Random) -> Iterator[tuple[Any, ...]]:
    for k in range(3 * n):
        yield (
            f"b{k}",
            rnd.choice(STATUSES),
            float(rnd.randint(20, 400)),
            _ts(rnd, 30, 180),
            _ts(rnd, 365, 0),
            f"u{rnd.randrange(n):07d}",
            f"h{rnd.randrange(HOTELS)}",
        )


async def copy(conn: asyncpg.Connection, table: str, cols: list[str], rows: Iterator[Any]) -> int:
    total = 0
    while True:
        chunk = [r for _, r in zip(range(CHUNK), rows, strict=False)]
        if not chunk:
            return total
        await conn.copy_records_to_table(table, records=chunk, columns=cols)
        total += len(chunk)


async def _copy_entity(
    conn: asyncpg.Connection, name: str, cols: list[str], rows: Iterator[Any]
) -> int:
    total = 0
    while True:
        chunk = [r for _, r in zip(range(CHUNK), rows, strict=False)]
        if not chunk:
            return total
        await conn.copy_records_to_table(
            f"e_{name}", records=chunk, columns=cols, schema_name="entities"
        )
        total += len(chunk)


async def load(conn: asyncpg.Connection, n: int) -> None:
    """Tables from the definitions; rows by COPY before the triggers, as a bulk load would."""
    rnd = random.Random(7)
    statements = [s for name in TYPES for s in ddl.create(name, TYPES[name], TYPES)]
    for s in statements:
        if not s.startswith("CREATE TRIGGER"):
            await conn.execute(s)
    for name, d in TYPES.items():  # as services/entities.py stores them
        await conn.execute(
            "INSERT INTO entity_types (name, definition) VALUES ($1, $2::jsonb)",
            name,
            json.dumps(d.model_dump(mode="json")),
        )
    profiles = ((f"u{i:07d}", "{}") for i in range(n))
    await copy(conn, "profiles", ["profile_id", "attributes"], profiles)
    hotels = ((f"h{i}", CITIES[i % len(CITIES)]) for i in range(HOTELS))
    await _copy_entity(conn, "hotel", ["code", "city"], hotels)
    booking_cols = ["booking_id", "status", "total", "departure", "booked_at", "guest", "hotel"]
    await _copy_entity(conn, "booking", booking_cols, booking_rows(n, rnd))
    products = ((f"s{i}", float(rnd.randint(0, 500))) for i in range(PRODUCTS))
    await _copy_entity(conn, "product", ["sku", "stock"], products)
    views = ((f"v{k}", f"u{rnd.randrange(n):07d}", f"s{rnd.randrange(PRODUCTS)}") for k in range(n))
    await _copy_entity(conn, "view", ["view_id", "who", "product"], views)
    for s in statements:
        if s.startswith("CREATE TRIGGER"):
            await conn.execute(s)
    for table in ("profiles", "entities.e_hotel", "entities.e_booking", "entities.e_product"):
        await conn.execute(f"VACUUM ANALYZE {table}")
    await conn.execute("VACUUM ANALYZE entities.e_view")


async def median(
    conn: asyncpg.Connection, sql: str, params: list[Any], rounds: int
) -> tuple[float, Any]:
    times, value = [], None
    await conn.execute("SET work_mem = '256MB'")  # what the evaluation transaction sets
    for _ in range(rounds):
        t = time.perf_counter()
        value = await conn.fetchval(sql, *params)
        times.append(time.perf_counter() - t)
    return statistics.median(times), value


async def measure(conn: asyncpg.Connection, rounds: int) -> list[float]:
    print(f"{'audience':<44} {'members':>8} {'compiled':>9} {'bare':>9} {'ratio':>6}")
    compiled_times, ratios = [], []
    for name, raw, bare_sql in AUDIENCES:
        rule, found = parse_rule(raw)
        assert rule is not None, found
        assert problems(rule, TYPES) == []
        compiled = count_members(rule, NOW, TYPES)
        c_time, c_count = await median(conn, compiled.sql, compiled.params, rounds)
        b_time, b_count = await median(conn, bare_sql, [], rounds)
        assert c_count == b_count, (name, c_count, b_count)
        compiled_times.append(c_time)
        ratios.append(c_time / b_time)
        print(
            f"{name:<44} {c_count:>8} {c_time * 1000:7.0f}ms {b_time * 1000:7.0f}ms "
            f"{c_time / b_time:6.2f}"
        )
    print(f"max_compiled_ms={max(compiled_times) * 1000:.0f}")
    print(f"max_ratio={max(ratios):.2f}")
    return compiled_times


async def materialize(dsn: str) -> None:
    pool = await create_pool(dsn)
    rule, _ = parse_rule(AUDIENCES[0][1])
    assert rule is not None
    await pool.execute(
        "INSERT INTO audiences (audience_id, name, definition) VALUES ('bench', 'b', '{}')"
    )
    for label in ("first evaluation (all enter)", "re-evaluation (no change)"):
        t = time.perf_counter()
        async with pool.acquire() as c, c.transaction():
            change = await evaluate(c, "bench", rule, NOW)
        print(
            f"{'materialize: ' + label:<44} {change.entered:>8} "
            f"{(time.perf_counter() - t) * 1000:7.0f}ms"
        )
    await pool.close()


async def ready(url: str) -> None:
    """Wait out "the database system is starting up" on a loaded machine."""
    for _ in range(120):
        try:
            await (await asyncpg.connect(url.rsplit("/", 1)[0] + "/postgres")).close()
            return
        except (asyncpg.CannotConnectNowError, OSError):
            await asyncio.sleep(0.5)
    raise RuntimeError("PostgreSQL did not start")


async def run(args: argparse.Namespace) -> None:
    root = Path(tempfile.mkdtemp(prefix="wayline-bench-ent-"))
    pg = EmbeddedPostgres(root / "pg", free_port(), durable=False)
    pg.start()
    try:
        await ready(pg.url)
        await migrate_url(pg.url, create=True)
        conn = await asyncpg.connect(pg.url)
        t = time.perf_counter()
        await load(conn, args.profiles)
        print(
            f"# loaded {args.profiles} profiles, {3 * args.profiles} bookings, {HOTELS} hotels, "
            f"{PRODUCTS} products and {args.profiles} views in {time.perf_counter() - t:.1f}s",
            file=sys.stderr,
        )
        print(f"profiles={args.profiles} bookings={3 * args.profiles} rounds={args.rounds}")
        await measure(conn, args.rounds)
        await conn.close()
        await materialize(pg.url)
    finally:
        pg.stop()
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
