"""An anonymous profile identified as a known one merges into it, once, whatever repeats."""

from __future__ import annotations

import uuid

import asyncpg
import httpx
import pytest
from temporalio.client import Client, WorkflowExecutionStatus

from core.names import journey_workflow_id
from tests.integration.conftest import KeyMaker
from tests.integration.helpers import eventually
from workers.worker import Runtime

pytestmark = pytest.mark.integration


async def _basic(make_key: KeyMaker) -> httpx.BasicAuth:
    headers = await make_key("events:write", name="segment-merge")
    return httpx.BasicAuth(headers["Authorization"].removeprefix("Bearer "), "")


async def _snapshot(pool: asyncpg.Pool, ids: list[str]) -> dict[str, object]:
    """Everything a merge touches, per table, for comparing two runs."""
    out: dict[str, object] = {}
    for table, cols in {
        "profiles": "profile_id, email, phone, timezone, attributes",
        "events": "profile_id, event_id",
        "journey_entries": "profile_id, run_id, status, reason",
        "subscriptions": "profile_id, channel, topic, status",
        "profile_aliases": "alias_id, profile_id",
        "messages": "profile_id, message_id",
    }.items():
        key = "alias_id" if table == "profile_aliases" else "profile_id"
        rows = await pool.fetch(
            f"SELECT {cols} FROM {table} WHERE {key} = ANY($1::text[]) ORDER BY 1, 2", ids
        )
        out[table] = [tuple(r.values()) for r in rows]
    return out


async def test_identify_merges_anonymous_profile(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    make_key: KeyMaker,
    pool: asyncpg.Pool,
    runtime: Runtime,
    temporal_client: Client,
) -> None:
    uid = uuid.uuid4().hex[:8]
    jid, anon, user = f"merge-{uid}", f"anon-{uid}", f"user-{uid}"
    h, api = admin_headers, api_client
    defn = {
        "id": jid,
        "name": "Anonymous journey",
        "entry": {"event": f"{jid}.browse"},
        "start": "pause",
        "nodes": {
            "pause": {"type": "wait", "duration": "PT30M", "next": "done"},
            "done": {"type": "end"},
        },
    }
    assert (await api.put(f"/v1/journeys/{jid}", json=defn, headers=h)).is_success
    assert (await api.post(f"/v1/journeys/{jid}/publish", headers=h)).is_success
    anon_attrs = {"first_seen": "ads", "plan": "free"}
    resp = await api.put(
        f"/v1/profiles/{anon}",
        json={"phone": "+33123456789", "timezone": "Asia/Tokyo", "attributes": anon_attrs},
        headers=h,
    )
    assert resp.status_code == 201
    resp = await api.put(f"/v1/profiles/{user}", json={"attributes": {"plan": "pro"}}, headers=h)
    assert resp.status_code == 201
    await pool.execute(
        "INSERT INTO subscriptions (profile_id, channel, topic, status) VALUES "
        "($1, 'email', 'news', 'unsubscribed'), ($1, 'sms', NULL, 'unsubscribed'), "
        "($2, 'email', 'news', 'subscribed')",
        anon,
        user,
    )
    resp = await api.post(
        "/v1/events",
        json={"name": f"{jid}.browse", "profile_id": anon, "properties": {"page": 1}},
        headers=h,
    )
    assert resp.status_code == 202

    async def anon_inside() -> bool:
        n = await pool.fetchval(
            "SELECT count(*) FROM journey_entries WHERE profile_id = $1 AND ended_at IS NULL",
            anon,
        )
        return n == 1

    await eventually(anon_inside)

    basic = await _basic(make_key)
    identify = {
        "type": "identify",
        "userId": user,
        "anonymousId": anon,
        "traits": {"email": f"{uid}@example.com", "last_login": "today"},
    }
    resp = await api.post("/v1/segment/identify", json=identify, auth=basic)
    assert resp.status_code == 200, resp.text

    # attributes: the known profile's win; contact fields fill what it lacked
    profile = (await api.get(f"/v1/profiles/{user}", headers=h)).json()
    assert profile["attributes"] == {"first_seen": "ads", "plan": "pro", "last_login": "today"}
    assert (profile["email"], profile["phone"]) == (f"{uid}@example.com", "+33123456789")
    assert profile["timezone"] == "Asia/Tokyo"
    assert await pool.fetchval("SELECT count(*) FROM profiles WHERE profile_id = $1", anon) == 0
    assert (await api.get(f"/v1/profiles/{anon}", headers=h)).json()["profile_id"] == user
    # history moved: the event is the known profile's now
    names = await pool.fetch("SELECT name, profile_id FROM events WHERE name = $1", f"{jid}.browse")
    assert [(r["name"], r["profile_id"]) for r in names] == [(f"{jid}.browse", user)]
    consent = await pool.fetch(
        "SELECT channel, topic, status FROM subscriptions WHERE profile_id = $1 ORDER BY 1", user
    )
    assert [tuple(r.values()) for r in consent] == [
        ("email", "news", "subscribed"),
        ("sms", None, "unsubscribed"),
    ]
    # the anonymous journey cannot follow (its id names the profile): it ended, ledgered
    # (under the old id: an entry cut short by the merge does not block the known profile)
    entry = await pool.fetchrow("SELECT * FROM journey_entries WHERE journey_id = $1", jid)
    assert entry["profile_id"] == anon
    assert (entry["status"], entry["reason"]) == ("exited", f"merged into {user}")
    desc = await temporal_client.get_workflow_handle(journey_workflow_id(jid, anon)).describe()
    assert desc.status == WorkflowExecutionStatus.TERMINATED

    # later events with the old anonymous id land on the known profile, on every ingest path
    resp = await api.post(
        "/v1/events", json={"name": f"{jid}.later", "profile_id": anon}, headers=h
    )
    assert resp.status_code == 202
    resp = await api.post(
        "/v1/segment/track", json={"anonymousId": anon, "event": f"{jid}.later2"}, auth=basic
    )
    assert resp.status_code == 200
    later = await pool.fetch(
        "SELECT profile_id FROM events WHERE name = ANY($1::text[])",
        [f"{jid}.later", f"{jid}.later2"],
    )
    assert [r["profile_id"] for r in later] == [user, user]

    # the known profile enters the journey on its own (the cut-short entry does not block it)
    resp = await api.post(
        "/v1/events", json={"name": f"{jid}.browse", "profile_id": anon}, headers=h
    )
    assert resp.status_code == 202

    async def user_inside() -> bool:
        n = await pool.fetchval(
            "SELECT count(*) FROM journey_entries WHERE profile_id = $1 AND journey_id = $2 "
            "AND ended_at IS NULL",
            user,
            jid,
        )
        return n == 1

    await eventually(user_inside)

    # idempotent: the same identify again changes nothing
    before = await _snapshot(pool, [anon, user])
    resp = await api.post("/v1/segment/identify", json=identify, auth=basic)
    assert resp.status_code == 200
    assert await _snapshot(pool, [anon, user]) == before

    # an event an ingest stored under the old id while the first merge ran (simulated by
    # writing it past the alias) is moved by the next identify
    await pool.execute(
        "INSERT INTO events (event_id, name, profile_id, ts) VALUES ($1, $2, $3, now())",
        f"straggler-{uid}",
        f"{jid}.straggler",
        anon,
    )
    assert (await api.post("/v1/segment/identify", json=identify, auth=basic)).status_code == 200
    moved = await pool.fetchval(
        "SELECT profile_id FROM events WHERE event_id = $1", f"straggler-{uid}"
    )
    assert moved == user

    # a shared device: another person identifying with the same anonymousId is not merged
    other = f"other-{uid}"
    resp = await api.post(
        "/v1/segment/identify",
        json={"userId": other, "anonymousId": anon, "traits": {"plan": "team"}},
        auth=basic,
    )
    assert resp.status_code == 200
    alias = await pool.fetchval("SELECT profile_id FROM profile_aliases WHERE alias_id = $1", anon)
    assert alias == user
    assert (await api.get(f"/v1/profiles/{other}", headers=h)).json()["attributes"] == {
        "plan": "team"
    }
    assert (await api.get(f"/v1/profiles/{user}", headers=h)).json()["attributes"]["plan"] == "pro"


async def test_alias_merges_known_profiles_and_keeps_aliases_flat(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    make_key: KeyMaker,
    pool: asyncpg.Pool,
) -> None:
    uid = uuid.uuid4().hex[:8]
    a, b, c = f"a-{uid}", f"b-{uid}", f"c-{uid}"
    basic = await _basic(make_key)
    batch = {
        "batch": [
            {"type": "track", "userId": a, "event": f"f{uid}.one"},
            {"type": "alias", "previousId": a, "userId": b},
            {"type": "track", "userId": b, "event": f"f{uid}.two"},
            {"type": "alias", "previousId": b, "userId": c},
            {"type": "track", "userId": a, "event": f"f{uid}.three"},
        ]
    }
    resp = await api_client.post("/v1/segment/batch", json=batch, auth=basic)
    assert resp.status_code == 200, resp.text
    assert resp.json()["accepted"] == 5
    rows = await pool.fetch(
        "SELECT name, profile_id FROM events WHERE name LIKE $1 ORDER BY id", f"f{uid}.%"
    )
    assert {r["profile_id"] for r in rows} == {c}
    aliases = await pool.fetch(
        "SELECT alias_id, profile_id FROM profile_aliases WHERE profile_id = $1 ORDER BY 1", c
    )
    assert [tuple(r.values()) for r in aliases] == [(a, c), (b, c)]
    # an alias pointing back at a merged id resolves, and changes nothing
    resp = await api_client.post(
        "/v1/segment/alias", json={"previousId": a, "userId": b}, auth=basic
    )
    assert resp.status_code == 200
    assert await pool.fetchval("SELECT count(*) FROM profile_aliases WHERE profile_id = $1", c) == 2


async def test_profile_api_writes_to_a_merged_id_land_on_the_known_profile(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    make_key: KeyMaker,
    pool: asyncpg.Pool,
) -> None:
    """PUT, PATCH and GET on an id that was merged away mean the profile it was merged into,
    as events do; no stray row is created beside the merged profile."""
    uid = uuid.uuid4().hex[:8]
    anon, user = f"anon-{uid}", f"user-{uid}"
    basic = await _basic(make_key)
    batch = {
        "batch": [
            {"type": "identify", "anonymousId": anon, "traits": {"plan": "free"}},
            {"type": "identify", "anonymousId": anon, "userId": user, "traits": {"age": 30}},
        ]
    }
    resp = await api_client.post("/v1/segment/batch", json=batch, auth=basic)
    assert resp.status_code == 200 and resp.json()["accepted"] == 2, resp.text

    resp = await api_client.patch(
        f"/v1/profiles/{anon}", json={"attributes": {"plan": "pro"}}, headers=admin_headers
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["profile_id"] == user
    resp = await api_client.get(f"/v1/profiles/{anon}", headers=admin_headers)
    assert resp.status_code == 200 and resp.json()["profile_id"] == user
    assert resp.json()["attributes"] == {"plan": "pro", "age": 30}
    resp = await api_client.put(
        f"/v1/profiles/{anon}", json={"email": "u@example.com"}, headers=admin_headers
    )
    assert resp.status_code == 200 and resp.json()["profile_id"] == user, resp.text
    ids = await pool.fetch(
        "SELECT profile_id FROM profiles WHERE profile_id = ANY($1)", [anon, user]
    )
    assert [r["profile_id"] for r in ids] == [user]
