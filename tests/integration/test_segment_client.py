"""The official Segment client (`segment-analytics-python`) against the API over real HTTP."""

from __future__ import annotations

import asyncio
import gzip
import json
import uuid
from typing import Any

import asyncpg
import httpx
import pytest
from segment.analytics.client import Client as SegmentClient
from segment.analytics.request import APIError

from tests.integration.conftest import KeyMaker
from tests.integration.helpers import eventually
from workers.worker import Runtime

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def segment_host(api_url: str) -> str:
    """The host a Segment client takes."""
    return f"{api_url}/v1/segment"


async def write_key(make_key: KeyMaker, *scopes: str) -> str:
    headers = await make_key(*scopes, name="segment")
    return headers["Authorization"].removeprefix("Bearer ")


async def events_of(pool: asyncpg.Pool, profile_id: str) -> list[asyncpg.Record]:
    return await pool.fetch(
        "SELECT event_id, name, properties, ts, dispatched_at FROM events "
        "WHERE profile_id = $1 ORDER BY id",
        profile_id,
    )


async def test_stock_client_round_trip(
    segment_host: str,
    make_key: KeyMaker,
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    pool: asyncpg.Pool,
    runtime: Runtime,
) -> None:
    uid = uuid.uuid4().hex[:8]
    jid, anon, user = f"seg-{uid}", f"anon-{uid}", f"user-{uid}"
    defn = {
        "id": jid,
        "name": "Segment entry",
        "entry": {"event": f"{jid}.go"},
        "start": "done",
        "nodes": {"done": {"type": "end"}},
    }
    h = admin_headers
    assert (await api_client.put(f"/v1/journeys/{jid}", json=defn, headers=h)).is_success
    assert (await api_client.post(f"/v1/journeys/{jid}/publish", headers=h)).is_success
    key = await write_key(make_key, "events:write")
    go_id = f"msg-{uid}"

    def client_calls() -> None:
        client = SegmentClient(key, host=segment_host, sync_mode=True, max_retries=0)
        client.track(anonymous_id=anon, event=f"{jid}.viewed", properties={"sku": "A1"})
        client.page(anonymous_id=anon, category="docs", name="Pricing", properties={"url": "/p"})
        client.identify(
            user_id=user,
            anonymous_id=anon,
            traits={"email": f"{uid}@example.com", "phone": "+33 6 12 34 56 78", "plan": "pro"},
            context={"timezone": "Europe/Paris"},
        )
        for _ in range(2):  # a retried call: same messageId, stored and routed once
            client.track(anonymous_id=anon, event=f"{jid}.go", message_id=go_id)
        client.screen(user_id=user, name="Home")

    await asyncio.to_thread(client_calls)

    rows = await events_of(pool, user)
    assert [r["name"] for r in rows] == [f"{jid}.viewed", "page", f"{jid}.go", "screen"]
    assert rows[0]["properties"] == {"sku": "A1"}
    assert rows[1]["properties"] == {"url": "/p", "name": "Pricing", "category": "docs"}
    assert rows[2]["event_id"] == go_id
    assert rows[3]["properties"] == {"name": "Home"}
    assert await events_of(pool, anon) == []
    profile = (await api_client.get(f"/v1/profiles/{user}", headers=h)).json()
    assert profile["email"] == f"{uid}@example.com"
    assert profile["phone"] == "+33612345678"  # stored in E.164
    assert profile["timezone"] == "Europe/Paris"
    assert profile["attributes"] == {"plan": "pro"}
    # the anonymous id now means the known profile: no row of its own, reads resolve
    assert await pool.fetchval("SELECT count(*) FROM profiles WHERE profile_id = $1", anon) == 0
    assert (await api_client.get(f"/v1/profiles/{anon}", headers=h)).json()["profile_id"] == user

    async def entered() -> int:
        return int(
            await pool.fetchval(
                "SELECT count(*) FROM journey_entries WHERE journey_id = $1 AND profile_id = $2",
                jid,
                user,
            )
        )

    assert await eventually(entered) == 1
    await asyncio.sleep(1.0)  # a duplicate routed twice would show up as a second entry
    assert await entered() == 1


async def test_queued_client_batches_with_gzip(
    segment_host: str, make_key: KeyMaker, pool: asyncpg.Pool
) -> None:
    uid = uuid.uuid4().hex[:8]
    user, old = f"user-{uid}", f"old-{uid}"
    key = await write_key(make_key, "events:write")
    errors: list[Any] = []

    def client_calls() -> None:
        client = SegmentClient(
            key, host=segment_host, gzip=True, on_error=lambda e, b: errors.append(e)
        )
        client.track(user_id=old, event=f"b{uid}.first", timestamp=None)
        client.alias(previous_id=old, user_id=user)
        for i in range(5):
            client.track(user_id=old, event=f"b{uid}.n", properties={"i": i})
        client.flush()
        client.join()

    await asyncio.to_thread(client_calls)
    assert errors == []
    rows = await events_of(pool, user)
    assert [r["name"] for r in rows] == [f"b{uid}.first"] + [f"b{uid}.n"] * 5
    assert [r["properties"].get("i") for r in rows[1:]] == [0, 1, 2, 3, 4]
    assert (
        await pool.fetchval("SELECT profile_id FROM profile_aliases WHERE alias_id = $1", old)
        == user
    )


async def test_client_sees_auth_failures(segment_host: str, make_key: KeyMaker) -> None:
    reader = await write_key(make_key, "read")

    def call(key: str) -> int:
        client = SegmentClient(key, host=segment_host, sync_mode=True, max_retries=0)
        try:
            client.track(user_id="u", event="x")
        except APIError as exc:
            return int(exc.status)
        return 200

    assert await asyncio.to_thread(call, "wl_00000000_not-a-key") == 401
    assert await asyncio.to_thread(call, reader) == 403


async def test_batch_keeps_good_items_and_names_bad_ones(
    api_client: httpx.AsyncClient, make_key: KeyMaker, pool: asyncpg.Pool
) -> None:
    uid = uuid.uuid4().hex[:8]
    key = await write_key(make_key, "events:write")
    basic = httpx.BasicAuth(key, "")
    batch = {
        "batch": [
            {"type": "track", "userId": f"u-{uid}", "event": f"k{uid}.ok", "messageId": f"a{uid}"},
            {"type": "track", "userId": f"u-{uid}"},
            {"type": "group", "userId": f"u-{uid}", "groupId": "g"},
            {"type": "identify", "traits": {"email": "nope"}},
            {
                "type": "page",
                "anonymousId": 12345,
                "name": "Home",
                "timestamp": "2026-01-02T03:04:05Z",
            },
            "not an object",
        ],
        "context": {"timezone": "Europe/Berlin"},
    }
    resp = await api_client.post("/v1/segment/v1/batch", json=batch, auth=basic)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["success"] is False
    assert (body["accepted"], body["rejected"]) == (2, 4)
    fields = [e["field"] for e in body["errors"]]
    assert fields == [
        "batch[1].event",
        "batch[2].type",
        "batch[3].userId",
        "batch[3].traits.email",
        "batch[5]",
    ]
    assert [r["name"] for r in await events_of(pool, f"u-{uid}")] == [f"k{uid}.ok"]
    page = await events_of(pool, "12345")
    assert page and page[-1]["ts"].isoformat() == "2026-01-02T03:04:05+00:00"
    # the same batch again: the stored track is a duplicate
    again = (await api_client.post("/v1/segment/batch", json=batch, auth=basic)).json()
    assert again["duplicates"] >= 1 and again["event_ids"][0] == f"a{uid}"


async def test_single_calls_name_the_field(
    api_client: httpx.AsyncClient, make_key: KeyMaker, pool: asyncpg.Pool
) -> None:
    key = await write_key(make_key, "events:write")
    basic = httpx.BasicAuth(key, "")
    resp = await api_client.post("/v1/segment/track", json={"event": "x"}, auth=basic)
    assert resp.status_code == 422
    assert resp.json()["fields"] == [
        {"field": "userId", "message": "userId or anonymousId is required"}
    ]
    resp = await api_client.post(
        "/v1/segment/alias", json={"userId": "a", "previousId": ""}, auth=basic
    )
    assert resp.status_code == 422
    assert [f["field"] for f in resp.json()["fields"]] == ["previousId"]
    resp = await api_client.post("/v1/segment/identify", json={"userId": "a"})
    assert resp.status_code == 401 and resp.headers["www-authenticate"].startswith("Basic")
    resp = await api_client.post(
        "/v1/segment/identify", json={"userId": "a"}, headers={"Authorization": "Basic !!!"}
    )
    assert resp.status_code == 401 and resp.json()["error"] == "unauthorized"
    bearer = {"Authorization": f"Bearer {key}"}
    resp = await api_client.post("/v1/segment/identify", json={"userId": "a"}, headers=bearer)
    assert resp.status_code == 200
    resp = await api_client.post(
        "/v1/segment/track",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
        auth=basic,
    )
    assert resp.status_code == 400 and resp.json()["fields"][0]["field"] == "body"
    uid = uuid.uuid4().hex[:8]
    zipped = gzip.compress(json.dumps({"userId": f"z{uid}", "event": "zipped"}).encode())
    resp = await api_client.post(
        "/v1/segment/v1/track",
        content=zipped,
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
        auth=basic,
    )
    assert resp.status_code == 200, resp.text
    assert [r["name"] for r in await events_of(pool, f"z{uid}")] == ["zipped"]


async def test_browser_style_write_key_in_body(
    api_client: httpx.AsyncClient, make_key: KeyMaker, pool: asyncpg.Pool
) -> None:
    """analytics.js posts `text/plain` with the write key in the body, no Authorization."""
    key = await write_key(make_key, "events:write")
    uid = uuid.uuid4().hex[:8]
    body = {"batch": [{"type": "track", "anonymousId": f"w{uid}", "event": "web"}], "writeKey": key}
    plain = {"Content-Type": "text/plain"}
    resp = await api_client.post("/v1/segment/v1/batch", content=json.dumps(body), headers=plain)
    assert resp.status_code == 200, resp.text
    assert [r["name"] for r in await events_of(pool, f"w{uid}")] == ["web"]
    body["writeKey"] = "wl_00000000_wrong"
    resp = await api_client.post("/v1/segment/v1/batch", content=json.dumps(body), headers=plain)
    assert resp.status_code == 401
    resp = await api_client.post(
        "/v1/segment/v1/batch",
        content=json.dumps(body),
        headers={"Content-Type": "application/xml"},
    )
    assert resp.status_code == 415


async def test_an_identify_with_a_bad_address_changes_nothing(
    api_client: httpx.AsyncClient, make_key: KeyMaker, pool: asyncpg.Pool
) -> None:
    """`bad<someone@example.test` would mail someone@example.test: the call is refused,
    named (422 alone, listed in a batch, never 5xx), and the stored address stays."""
    key = await write_key(make_key, "events:write")
    basic = httpx.BasicAuth(key, "")
    user = f"u-{uuid.uuid4().hex[:8]}"
    good = {"userId": user, "traits": {"email": f"{user}@example.com", "plan": "pro"}}
    assert (await api_client.post("/v1/segment/identify", json=good, auth=basic)).is_success
    bad = {"userId": user, "traits": {"email": "bad<someone@example.test", "plan": "free"}}
    resp = await api_client.post("/v1/segment/identify", json=bad, auth=basic)
    assert resp.status_code == 422, resp.text
    assert [f["field"] for f in resp.json()["fields"]] == ["traits.email"]
    batch = {"batch": [{"type": "identify", **bad}, {"type": "identify", **good}]}
    resp = await api_client.post("/v1/segment/v1/batch", json=batch, auth=basic)
    assert resp.status_code == 200, resp.text
    assert [e["field"] for e in resp.json()["errors"]] == ["batch[0].traits.email"]
    row = await pool.fetchrow("SELECT email, attributes FROM profiles WHERE profile_id = $1", user)
    assert row is not None and row["email"] == f"{user}@example.com"
    assert row["attributes"] == {"plan": "pro"}
