"""Audience membership end to end on the real servers: the API saves and evaluates, the
triggers queue rechecks on events and profile writes, the rechecker applies them, and every
change is an audience_changes row plus an `audience.*` event in the outbox.

Each test uses its own attribute keys, event names and audience ids, so the session's
other profiles never match and other tests' events never feed these audiences.
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import asyncpg
import httpx
import pytest
from temporalio.client import Client
from temporalio.service import RPCError

from activities.steps import StepActivities
from core.contracts import UpdateProfileInput
from core.names import audience_refresh_schedule_id
from tests.integration.conftest import KeyMaker
from tests.integration.helpers import eventually, publish, uid
from workers.worker import Runtime

pytestmark = pytest.mark.integration
T = TypeVar("T")
Headers = dict[str, str]


async def create(api: httpx.AsyncClient, h: Headers, aid: str, definition: Any) -> dict[str, Any]:
    resp = await api.post(
        "/v1/audiences", json={"audience_id": aid, "name": aid, "definition": definition}, headers=h
    )
    assert resp.status_code == 201, resp.text
    body: dict[str, Any] = resp.json()
    return body


async def changes(pool: asyncpg.Pool, aid: str) -> list[tuple[str, str]]:
    rows = await pool.fetch(
        "SELECT profile_id, change FROM audience_changes WHERE audience_id = $1 ORDER BY id", aid
    )
    return [(r["profile_id"], r["change"]) for r in rows]


async def audience_events(pool: asyncpg.Pool, aid: str) -> list[asyncpg.Record]:
    return await pool.fetch(
        "SELECT id, event_id, name, profile_id, properties FROM events "
        "WHERE name LIKE 'audience.%' AND properties->>'audience_id' = $1 ORDER BY id",
        aid,
    )


async def test_an_event_makes_a_profile_enter(
    api_client: httpx.AsyncClient, admin_headers: Headers, pool: asyncpg.Pool, runtime: Runtime
) -> None:
    aid, p, name = uid("aud-ev"), uid("p"), uid("purchase")
    h = admin_headers
    assert (await api_client.put(f"/v1/profiles/{p}", json={}, headers=h)).status_code == 201
    rule = {"event": name, "where": [{"property": "total", "op": "gt", "value": 100}]}
    saved = await create(api_client, h, aid, rule)
    assert saved["size"] == 0 and saved["evaluation"] == {"entered": 0, "exited": 0}
    assert saved["time_relative"] is False

    small = await api_client.post(
        "/v1/events", json={"name": name, "profile_id": p, "properties": {"total": 50}}, headers=h
    )
    big = await api_client.post(
        "/v1/events", json={"name": name, "profile_id": p, "properties": {"total": 150}}, headers=h
    )
    assert small.status_code == big.status_code == 202

    async def entered() -> list[tuple[str, str]]:
        return await changes(pool, aid)

    assert await eventually(entered) == [(p, "entered")]
    change_id = await pool.fetchval("SELECT id FROM audience_changes WHERE audience_id = $1", aid)
    [announced] = await audience_events(pool, aid)
    assert announced["name"] == "audience.entered"
    assert announced["event_id"] == f"audience:{aid}:{p}:{change_id}"
    assert announced["properties"] == {"audience_id": aid}
    cause = await pool.fetchval("SELECT id FROM events WHERE event_id = $1", big.json()["event_id"])
    assert announced["id"] > cause, "the audience event comes after the event that caused it"

    got = (await api_client.get(f"/v1/audiences/{aid}", headers=h)).json()
    assert got["size"] == 1 and got["sample"] == [p]
    assert await pool.fetchval(
        "SELECT entered_at IS NOT NULL FROM audience_members WHERE audience_id = $1", aid
    )


async def test_attribute_changes_enter_and_exit(
    api_client: httpx.AsyncClient, admin_headers: Headers, pool: asyncpg.Pool, runtime: Runtime
) -> None:
    key, aid = uid("tier"), uid("aud-attr")
    a, b, c = uid("pa"), uid("pb"), uid("pc")
    h = admin_headers
    await api_client.put(f"/v1/profiles/{a}", json={"attributes": {key: "gold"}}, headers=h)
    await api_client.put(f"/v1/profiles/{c}", json={"attributes": {key: "bronze"}}, headers=h)
    saved = await create(api_client, h, aid, {"attribute": key, "op": "eq", "value": "gold"})
    assert saved["evaluation"] == {"entered": 1, "exited": 0}
    assert saved["sample"] == [a]

    # A new profile, a change to the key, and a write that leaves the key alone.
    await api_client.put(f"/v1/profiles/{b}", json={"attributes": {key: "gold"}}, headers=h)
    await api_client.patch(f"/v1/profiles/{a}", json={"attributes": {key: "silver"}}, headers=h)
    await api_client.patch(f"/v1/profiles/{c}", json={"attributes": {"other": 1}}, headers=h)

    async def settled() -> list[tuple[str, str]]:
        found = await changes(pool, aid)
        return found if len(found) >= 3 else []

    assert sorted(await eventually(settled)) == sorted(
        [(a, "entered"), (b, "entered"), (a, "exited")]
    )
    names = [(r["profile_id"], r["name"]) for r in await audience_events(pool, aid)]
    assert sorted(names) == sorted(
        [(a, "audience.entered"), (b, "audience.entered"), (a, "audience.exited")]
    )
    members = await pool.fetch(
        "SELECT profile_id FROM audience_members WHERE audience_id = $1", aid
    )
    assert [r["profile_id"] for r in members] == [b]
    # The dispatcher routes audience events like any other event.
    await eventually(
        lambda: pool.fetchval(
            "SELECT bool_and(dispatched_at IS NOT NULL) FROM events "
            "WHERE properties->>'audience_id' = $1",
            aid,
        )
    )


async def test_audience_api(
    api_client: httpx.AsyncClient, admin_headers: Headers, make_key: KeyMaker, pool: asyncpg.Pool
) -> None:
    key, aid = uid("score"), uid("aud-api")
    h = admin_headers
    ids = [f"{uid('m')}-{i}" for i in range(5)]
    for i, p in enumerate(ids):
        await api_client.put(f"/v1/profiles/{p}", json={"attributes": {key: i * 10}}, headers=h)
    rule = {
        "and": [
            {"attribute": key, "op": "gte", "value": 10},
            {"not": {"field": "email", "op": "exists"}},
        ]
    }

    est = await api_client.post("/v1/audiences/estimate", json={"definition": rule}, headers=h)
    assert est.status_code == 200 and est.json()["count"] == 4
    assert not await pool.fetchval("SELECT 1 FROM audiences WHERE audience_id = $1", aid)

    bad = await api_client.post(
        "/v1/audiences",
        json={
            "audience_id": aid,
            "name": "x",
            "definition": {"or": [{"attribute": key, "op": "in", "value": 1}]},
        },
        headers=h,
    )
    assert bad.status_code == 422
    assert bad.json()["fields"][0]["field"] == "definition.or[0].value"

    reader = await make_key("read")
    denied = await api_client.post(
        "/v1/audiences", json={"audience_id": aid, "name": "x", "definition": rule}, headers=reader
    )
    assert denied.status_code == 403

    hostile = {
        "or": [
            {"attribute": "'; DROP TABLE profiles; --", "op": "eq", "value": "x' OR '1'='1"},
            {"event": "e'); DELETE FROM events; --", "where": [{"property": "\\", "op": "exists"}]},
            {"field": "email", "op": "in", "value": ["' OR 1=1 --", "ünï€ode"]},
        ]
    }
    est = await api_client.post("/v1/audiences/estimate", json={"definition": hostile}, headers=h)
    assert est.status_code == 200 and est.json()["count"] == 0
    assert await pool.fetchval("SELECT count(*) FROM profiles WHERE profile_id = ANY($1)", ids) == 5

    saved = await create(api_client, h, aid, rule)
    assert saved["size"] == 4 and saved["definition"] == rule
    dup = await api_client.post(
        "/v1/audiences", json={"audience_id": aid, "name": "x", "definition": rule}, headers=h
    )
    assert dup.status_code == 409

    pages, after = [], ""
    while True:
        resp = await api_client.get(
            f"/v1/audiences/{aid}/members", params={"limit": 3, "after": after}, headers=reader
        )
        assert resp.status_code == 200
        pages.append([m["profile_id"] for m in resp.json()["items"]])
        after = resp.json()["next"]
        if after is None:
            break
    assert [p for page in pages for p in page] == sorted(ids[1:])
    assert len(pages[0]) == 3

    # Narrowing the rule: two members leave, with exit events.
    narrower = {"attribute": key, "op": "gt", "value": 25}
    put = await api_client.put(
        f"/v1/audiences/{aid}", json={"name": "top", "definition": narrower}, headers=h
    )
    assert put.status_code == 200
    assert put.json()["evaluation"] == {"entered": 0, "exited": 2} and put.json()["size"] == 2
    listed = (await api_client.get("/v1/audiences", headers=reader)).json()["items"]
    assert any(a["audience_id"] == aid and a["size"] == 2 for a in listed)

    assert (await api_client.delete(f"/v1/audiences/{aid}", headers=h)).status_code == 204
    assert (await api_client.get(f"/v1/audiences/{aid}", headers=h)).status_code == 404
    missing = await api_client.get(f"/v1/audiences/{aid}/members", headers=h)
    assert missing.status_code == 404


async def test_time_relative_audiences_are_refreshed_by_a_schedule(
    api_client: httpx.AsyncClient,
    admin_headers: Headers,
    pool: asyncpg.Pool,
    temporal_client: Client,
    runtime: Runtime,
) -> None:
    key, aid, p, stale = uid("seen"), uid("aud-rel"), uid("pr"), uid("ps")
    h = admin_headers
    recent = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    await api_client.put(f"/v1/profiles/{p}", json={"attributes": {key: recent}}, headers=h)
    await api_client.put(
        f"/v1/profiles/{stale}", json={"attributes": {key: "2020-01-01"}}, headers=h
    )
    saved = await create(
        api_client, h, aid, {"attribute": key, "op": "within_last", "value": "P1D"}
    )
    assert saved["time_relative"] is True and saved["sample"] == [p]

    handle = temporal_client.get_schedule_handle(audience_refresh_schedule_id(aid))
    described = await handle.describe()
    assert described.id == audience_refresh_schedule_id(aid)

    # Membership that went stale behind the rules' back (as the clock does): the scheduled
    # full evaluation repairs it.
    await pool.execute(
        "INSERT INTO audience_members (audience_id, profile_id) VALUES ($1, $2)", aid, stale
    )
    before = await pool.fetchval("SELECT evaluated_at FROM audiences WHERE audience_id = $1", aid)
    await handle.trigger()

    async def refreshed() -> bool:
        at = await pool.fetchval("SELECT evaluated_at FROM audiences WHERE audience_id = $1", aid)
        return bool(at > before)

    await eventually(refreshed)
    assert (stale, "exited") in await changes(pool, aid)

    # No longer time-relative: the schedule goes.
    put = await api_client.put(
        f"/v1/audiences/{aid}",
        json={"name": aid, "definition": {"attribute": key, "op": "exists"}},
        headers=h,
    )
    assert put.json()["time_relative"] is False
    with pytest.raises(RPCError):
        await handle.describe()


async def test_expressions_see_profile_audiences(
    api_client: httpx.AsyncClient, admin_headers: Headers, pool: asyncpg.Pool, runtime: Runtime
) -> None:
    key, aid, jid = uid("vip"), uid("aud-vip"), uid("j-aud")
    member, other = uid("pm"), uid("po")
    h = admin_headers
    await api_client.put(f"/v1/profiles/{member}", json={"attributes": {key: True}}, headers=h)
    await api_client.put(f"/v1/profiles/{other}", json={"attributes": {key: False}}, headers=h)
    await create(api_client, h, aid, {"attribute": key, "op": "eq", "value": True})
    defn = {
        "id": jid,
        "name": jid,
        "entry": {"event": f"{jid}.go", "when": f"'{aid}' in profile.audiences"},
        "start": "done",
        "nodes": {"done": {"type": "end"}},
    }
    await publish(pool, defn, uid("tpl"))
    await pool.execute("SELECT pg_notify('wayline_journeys', '')")
    for p in (other, member):
        resp = await api_client.post(
            "/v1/events", json={"name": f"{jid}.go", "profile_id": p}, headers=h
        )
        assert resp.status_code == 202

    async def entered() -> list[str]:
        rows = await pool.fetch("SELECT profile_id FROM journey_entries WHERE journey_id = $1", jid)
        return [r["profile_id"] for r in rows]

    # The first journey of a session can wait for a cold worker on a loaded machine.
    assert await eventually(entered, limit=60) == [member]
    await eventually(
        lambda: pool.fetchval(
            "SELECT bool_and(dispatched_at IS NOT NULL) FROM events WHERE name = $1", f"{jid}.go"
        )
    )
    assert await entered() == [member]


async def test_a_bulk_write_queues_one_full_evaluation(
    api_client: httpx.AsyncClient, admin_headers: Headers, pool: asyncpg.Pool, runtime: Runtime
) -> None:
    """An import-sized statement queues the audience once ('' = in full), not per row."""
    key, aid, prefix = uid("bulk"), uid("aud-bulk"), uid("pb")
    await create(api_client, admin_headers, aid, {"attribute": key, "op": "eq", "value": "gold"})
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "INSERT INTO profiles (profile_id, attributes) "
            "SELECT $1 || i, jsonb_build_object($2::text, CASE WHEN i % 2001 = 0 "
            "THEN 'gold' ELSE 'lead' END) FROM generate_series(1, 10001) i",
            prefix,
            key,
        )
        queued = await conn.fetch(
            "SELECT profile_id FROM audience_recheck WHERE audience_id = $1", aid
        )
        assert [r["profile_id"] for r in queued] == [""]

    async def members() -> list[str]:
        rows = await pool.fetch(
            "SELECT profile_id FROM audience_members WHERE audience_id = $1 ORDER BY 1", aid
        )
        return [r["profile_id"] for r in rows]

    expected = sorted(f"{prefix}{i}" for i in range(2001, 10002, 2001))
    assert await eventually(lambda: _equal(members(), expected))


async def _equal(found: Awaitable[list[str]], expected: list[str]) -> bool:
    return await found == expected


async def test_journey_profile_updates_and_events_move_members(
    api_client: httpx.AsyncClient,
    admin_headers: Headers,
    pool: asyncpg.Pool,
    temporal_client: Client,
    runtime: Runtime,
) -> None:
    """Any write path counts: a journey's update_profile step enters, an event exits."""
    key, aid, p, name = uid("stage"), uid("aud-step"), uid("pj"), uid("churned")
    rule = {"and": [{"attribute": key, "op": "eq", "value": "gold"}, {"event": name, "at_most": 0}]}
    await create(api_client, admin_headers, aid, rule)
    steps = StepActivities(pool, temporal_client, "unused")
    await steps.update_profile(
        UpdateProfileInput(update_id=uid("u"), profile_id=p, set={key: "gold"})
    )
    assert await eventually(lambda: changes(pool, aid)) == [(p, "entered")]

    resp = await api_client.post(
        "/v1/events", json={"name": name, "profile_id": p}, headers=admin_headers
    )
    assert resp.status_code == 202

    async def exited() -> list[tuple[str, str]]:
        found = await changes(pool, aid)
        return found if len(found) == 2 else []

    assert await eventually(exited) == [(p, "entered"), (p, "exited")]
    names = [r["name"] for r in await audience_events(pool, aid)]
    assert names == ["audience.entered", "audience.exited"]
