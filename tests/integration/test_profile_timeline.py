"""GET /v1/profiles/{id}/timeline: every kind of item, in time order, paged by cursor."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from tests.integration.conftest import KeyMaker
from tests.integration.helpers import eventually
from workers.worker import Runtime

pytestmark = pytest.mark.integration


async def _all_pages(
    api: httpx.AsyncClient, headers: dict[str, str], url: str, **params: Any
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(50):
        query = dict(params, **({"cursor": cursor} if cursor else {}))
        resp = await api.get(url, params=query, headers=headers)
        assert resp.status_code == 200, resp.text
        page = resp.json()
        assert page["count"] == len(page["items"])
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("pagination did not end")


async def test_timeline(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    make_key: KeyMaker,
    pool: asyncpg.Pool,
    runtime: Runtime,
) -> None:
    uid = uuid.uuid4().hex[:8]
    jid, pid, tpl = f"tl-{uid}", f"p-{uid}", f"tl-{uid}"
    api, h = api_client, admin_headers
    assert (
        await api.put(f"/v1/templates/{tpl}", json={"channel": "log", "body": "hi"}, headers=h)
    ).is_success
    defn = {
        "id": jid,
        "name": "Timeline",
        "entry": {"event": f"{jid}.go"},
        "start": "hello",
        "nodes": {
            "hello": {"type": "message", "channel": "log", "template": tpl, "next": "done"},
            "done": {"type": "end"},
        },
    }
    assert (await api.put(f"/v1/journeys/{jid}", json=defn, headers=h)).is_success
    assert (await api.post(f"/v1/journeys/{jid}/publish", headers=h)).is_success
    assert (await api.put(f"/v1/profiles/{pid}", json={}, headers=h)).status_code == 201
    long_ago = datetime(2020, 1, 1, tzinfo=UTC)
    events = [
        {"name": f"{jid}.old", "profile_id": pid, "timestamp": long_ago.isoformat()},
        {
            "name": f"{jid}.older",
            "profile_id": pid,
            "timestamp": (long_ago - timedelta(days=1)).isoformat(),
        },
    ]
    resp = await api.post("/v1/events/batch", json={"events": events}, headers=h)
    assert resp.status_code == 202
    resp = await api.post("/v1/events", json={"name": f"{jid}.go", "profile_id": pid}, headers=h)
    assert resp.status_code == 202

    async def completed() -> bool:
        status = await pool.fetchval(
            "SELECT status FROM journey_entries WHERE journey_id = $1 AND profile_id = $2",
            jid,
            pid,
        )
        return status == "completed"

    await eventually(completed)
    aid = f"aud-{uid}"
    await pool.execute(
        "INSERT INTO audiences (audience_id, name, definition) VALUES ($1, $1, '{}')", aid
    )
    await pool.execute(
        "INSERT INTO audience_changes (audience_id, profile_id, change, at) VALUES "
        "($1, $2, 'entered', now()), ($1, $2, 'exited', now() + interval '1 second')",
        aid,
        pid,
    )

    url = f"/v1/profiles/{pid}/timeline"
    reader = await make_key("read", name="timeline-reader")
    items = await _all_pages(api, reader, url, limit=2)
    kinds = [i["kind"] for i in items]
    # The journey ledger stamps workflow time; a log send is a local activity of the same
    # workflow task, so its ledger row can be stamped a little after the journey's end.
    assert kinds[:4] == ["event", "event", "event", "journey_entered"], items
    assert sorted(kinds[4:6]) == ["journey_exited", "message"], items
    assert kinds[6:] == ["audience_entered", "audience_exited"], items
    assert [i["data"]["name"] for i in items[:3]] == [f"{jid}.older", f"{jid}.old", f"{jid}.go"]
    stamps = [i["at"] for i in items]
    assert [datetime.fromisoformat(s) for s in stamps] == sorted(
        datetime.fromisoformat(s) for s in stamps
    )
    by_kind = {i["kind"]: i["data"] for i in items}
    assert by_kind["message"]["template"] == tpl and by_kind["message"]["journey_id"] == jid
    assert by_kind["journey_exited"]["status"] == "completed"
    assert items[6]["data"] == {"audience_id": aid}
    assert await _all_pages(api, reader, url) == items  # one page or four: the same list

    only = await _all_pages(api, reader, url, kind=["message", "journey_exited"])
    assert only == [i for i in items if i["kind"] in ("message", "journey_exited")]
    assert len(only) == 2

    resp = await api.get(url, params={"cursor": "bogus"}, headers=reader)
    assert resp.status_code == 422 and resp.json()["fields"][0]["field"] == "cursor"
    resp = await api.get(url, params={"kind": "nope"}, headers=reader)
    assert resp.status_code == 422 and resp.json()["fields"][0]["field"] == "kind[0]"
    resp = await api.get(f"/v1/profiles/nobody-{uid}/timeline", headers=reader)
    assert resp.status_code == 404
    assert (await api.get(url)).status_code == 401
