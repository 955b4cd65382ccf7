"""The message ledger report: filters and keyset pagination, newest first."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest

pytestmark = pytest.mark.integration


async def test_list_filter_and_paginate(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], pool: asyncpg.Pool
) -> None:
    pid, jid, other = (f"{p}-{uuid.uuid4().hex[:8]}" for p in ("p", "j", "j"))
    base = datetime(2024, 3, 1, tzinfo=UTC)
    rows = [
        (
            f"m-{uuid.uuid4().hex}",
            pid,
            jid if i % 3 else other,
            1,
            f"n{i}",
            "log",
            "tpl",
            "sent",
            pid,
            None,
            f"body {i}",
            None,
            base + timedelta(minutes=i // 2),  # pairs share a created_at: ties by message_id
            base + timedelta(minutes=i // 2, seconds=1),
        )
        for i in range(7)
    ]
    await pool.executemany(
        "INSERT INTO messages (message_id, profile_id, journey_id, version, node_id, channel,"
        " template, status, recipient, subject, body, error, created_at, sent_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        rows,
    )
    expected = [r[0] for r in sorted(rows, key=lambda r: (r[12], r[0]), reverse=True)]

    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, str | int] = {"profile_id": pid, "limit": 3}
        if cursor:
            params["before"] = cursor
        resp = await api_client.get("/v1/messages", params=params, headers=admin_headers)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        seen += [m["message_id"] for m in body["items"]]
        pages += 1
        cursor = body["next_before"]
        if cursor is None:
            break
    assert seen == expected and pages == 3

    first = (
        await api_client.get(
            "/v1/messages", params={"profile_id": pid, "limit": 1}, headers=admin_headers
        )
    ).json()["items"][0]
    assert set(first) == {
        "message_id",
        "profile_id",
        "journey_id",
        "version",
        "node_id",
        "campaign_id",
        "channel",
        "template",
        "status",
        "recipient",
        "subject",
        "body",
        "error",
        "reason",
        "transactional",
        "created_at",
        "sent_at",
        "deferred_until",
        "locale",
        "proof",
        "send_time",
        "entity_type",
        "entity_key",
    }
    assert first["body"] == "body 6" and first["status"] == "sent"
    assert first["entity_type"] is None and first["entity_key"] is None  # not per entity

    resp = await api_client.get(
        "/v1/messages", params={"profile_id": pid, "journey_id": other}, headers=admin_headers
    )
    assert sorted(m["node_id"] for m in resp.json()["items"]) == ["n0", "n3", "n6"]


async def test_filter_by_campaign_channel_and_status(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], pool: asyncpg.Pool
) -> None:
    pid = f"p-{uuid.uuid4().hex[:8]}"
    cid = f"c-{uuid.uuid4().hex[:8]}"
    rows = [
        (f"m-{uuid.uuid4().hex}", pid, cid if i < 2 else None, channel, status, f"{i}")
        for i, (channel, status) in enumerate(
            [("email", "sent"), ("sms", "skipped"), ("email", "failed"), ("log", "sent")]
        )
    ]
    await pool.executemany(
        "INSERT INTO messages (message_id, profile_id, campaign_id, campaign_run, channel,"
        " template, status, body) VALUES ($1, $2, $3, CASE WHEN $3::text IS NULL THEN NULL"
        " ELSE 'r1' END, $4, 'tpl', $5, $6)",
        rows,
    )

    async def bodies(**params: str) -> list[str]:
        resp = await api_client.get(
            "/v1/messages", params={"profile_id": pid, **params}, headers=admin_headers
        )
        assert resp.status_code == 200, resp.text
        return sorted(m["body"] for m in resp.json()["items"])

    assert await bodies(campaign_id=cid) == ["0", "1"]
    assert await bodies(channel="email") == ["0", "2"]
    assert await bodies(status="sent") == ["0", "3"]
    assert await bodies(campaign_id=cid, status="skipped") == ["1"]
    resp = await api_client.get("/v1/messages", params={"status": "lost"}, headers=admin_headers)
    assert resp.status_code == 422 and resp.json()["fields"][0]["field"] == "status"


async def test_bad_cursor_is_named(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    resp = await api_client.get("/v1/messages", params={"before": "!!!"}, headers=admin_headers)
    assert resp.status_code == 422
    assert [f["field"] for f in resp.json()["fields"]] == ["before"]


async def test_read_scope_needed(api_client: httpx.AsyncClient, make_key: object) -> None:
    headers = await make_key("events:write")  # type: ignore[operator]
    resp = await api_client.get("/v1/messages", headers=headers)
    assert resp.status_code == 403 and "'read'" in resp.json()["message"]
