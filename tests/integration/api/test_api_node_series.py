"""A journey report's window and one node's counts over time, on ledger rows written straight
into the database (as bench/report_queries.py does) for a journey of this test alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from tests.integration.helpers import uid

pytestmark = pytest.mark.integration
T0 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


# (run, node, entered, left, outcome), minutes after T0
STEPS = [
    ("r1", "send", 10, 20, "exited"),
    ("r2", "send", 50, 65, "exited"),
    ("r3", "send", 90, 91, "errored"),
    ("r4", "send", -10, 5, "exited"),  # entered before the window, left in its first hour
    ("r5", "send", 160, None, None),  # waiting there now
    ("r6", "send", 190, None, None),  # entered after the window, waiting too
    ("r1", "pause", 20, None, None),
]
# (id, status, created, sent)
MESSAGES = [
    ("m1", "sent", 10, 11),
    ("m2", "failed", 51, None),
    ("m3", "skipped", 90, None),
    ("m4", "sent", 179, 181),  # recorded in the window, sent after it
]


@pytest.fixture
async def jid(api_client: httpx.AsyncClient, admin_headers: dict[str, str], pool: Any) -> str:
    jid, tpl, h = uid("series"), uid("tpl"), admin_headers
    resp = await api_client.put(
        f"/v1/templates/{tpl}", json={"channel": "log", "body": "hi"}, headers=h
    )
    assert resp.status_code in (200, 201), resp.text
    nodes = {
        "send": {"type": "message", "channel": "log", "template": tpl, "next": "pause"},
        "pause": {"type": "wait", "duration": "PT1H", "next": "done"},
        "done": {"type": "end"},
    }
    body = {"id": jid, "name": jid, "entry": {"event": f"{jid}.go"}, "start": "send"}
    resp = await api_client.put(f"/v1/journeys/{jid}", json=body | {"nodes": nodes}, headers=h)
    assert resp.status_code in (200, 201), resp.text
    resp = await api_client.post(f"/v1/journeys/{jid}/publish", headers=h)
    assert resp.status_code in (200, 201), resp.text
    await seed(pool, jid)
    return jid


async def seed(pool: asyncpg.Pool, jid: str) -> None:
    await pool.executemany(
        "INSERT INTO journey_steps (run_id, node_id, visit, workflow_id, journey_id, version,"
        " profile_id, node_type, entered_at, left_at, outcome)"
        " VALUES ($1, $2, 1, 'w-' || $1, $3, 1, 'p-' || $1, $4, $5, $6, $7)",
        [
            (
                f"{jid}-{run}",
                node,
                jid,
                "message" if node == "send" else "wait",
                at(entered),
                None if left is None else at(left),
                outcome,
            )
            for run, node, entered, left, outcome in STEPS
        ],
    )
    await pool.executemany(
        "INSERT INTO messages (message_id, profile_id, journey_id, version, node_id, workflow_id,"
        " channel, template, status, created_at, sent_at, reason)"
        " VALUES ($1, 'p', $2, 1, 'send', 'w', 'log', 't', $3, $4, $5, $6)",
        [
            (
                f"{jid}-{mid}",
                jid,
                status,
                at(created),
                None if sent is None else at(sent),
                "no address" if status == "skipped" else None,
            )
            for mid, status, created, sent in MESSAGES
        ],
    )


def window(minutes: int = 180, **more: str) -> dict[str, str]:
    return {"since": T0.isoformat(), "until": at(minutes).isoformat(), **more}


async def test_a_message_node_counts_hour_by_hour(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], jid: str
) -> None:
    url = f"/v1/journeys/{jid}/nodes/send/series"
    resp = await api_client.get(url, params=window(bucket="PT1H"), headers=admin_headers)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert (body["type"], body["version"], body["bucket"]) == ("message", 1, "PT1H")
    got = [
        (b["start"], b["entered"], b["exited"], b["errored"], b["sent"], b["failed"], b["skipped"])
        for b in body["buckets"]
    ]
    assert got == [
        ("2026-01-05T10:00:00Z", 2, 2, 0, 1, 1, 0),
        ("2026-01-05T11:00:00Z", 1, 1, 1, 0, 0, 1),
        ("2026-01-05T12:00:00Z", 1, 0, 0, 0, 0, 0),
    ]


async def test_a_wait_node_has_no_send_counts_and_a_short_last_bucket(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], jid: str
) -> None:
    url = f"/v1/journeys/{jid}/nodes/pause/series"
    resp = await api_client.get(url, params=window(50, bucket="PT30M"), headers=admin_headers)
    assert resp.status_code == 200, resp.text
    assert resp.json()["buckets"] == [
        {
            "start": "2026-01-05T10:00:00Z",
            "entered": 1,
            "exited": 0,
            "errored": 0,
            "sent": None,
            "failed": None,
            "skipped": None,
        },
        {
            "start": "2026-01-05T10:30:00Z",
            "entered": 0,
            "exited": 0,
            "errored": 0,
            "sent": None,
            "failed": None,
            "skipped": None,
        },
    ]


async def test_the_report_counts_visits_entered_in_the_window_and_waiting_now(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], jid: str
) -> None:
    async def send_node(**params: str) -> dict[str, Any]:
        resp = await api_client.get(
            f"/v1/journeys/{jid}/report", params=params, headers=admin_headers
        )
        assert resp.status_code == 200, resp.text
        return next(n for n in resp.json()["nodes"] if n["node"] == "send")

    def counts(n: dict[str, Any]) -> tuple[int, ...]:
        m = n["messages"]
        return (
            n["entered"],
            n["waiting"],
            n["exited"],
            n["errored"],
            m["sent"],
            m["failed"],
            m["skipped"],
        )

    assert counts(await send_node(**window())) == (4, 2, 2, 1, 2, 1, 1)
    assert counts(await send_node()) == (6, 2, 3, 1, 2, 1, 1)
    assert counts(await send_node(since=at(60).isoformat())) == (3, 2, 0, 1, 1, 0, 1)


@pytest.mark.parametrize(
    ("params", "name"),
    [
        (window(0), "until"),
        (window(-60), "until"),
        ({"since": (T0 - timedelta(days=367)).isoformat(), "until": T0.isoformat()}, "since"),
        ({"since": "2026-01-05T10:00:00", "until": T0.isoformat()}, "since"),
        (window(bucket="PT30S"), "bucket"),
        (window(24 * 60, bucket="PT1M"), "bucket"),
        (window(bucket="soon"), "bucket"),
    ],
)
async def test_a_bad_window_or_bucket_is_a_422_naming_it(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    jid: str,
    params: dict[str, str],
    name: str,
) -> None:
    resp = await api_client.get(
        f"/v1/journeys/{jid}/nodes/send/series", params=params, headers=admin_headers
    )
    assert resp.status_code == 422, resp.text
    assert [f["field"] for f in resp.json()["fields"]] == [name]
    report = {k: v for k, v in params.items() if k != "bucket"}
    if "bucket" not in params:
        resp = await api_client.get(
            f"/v1/journeys/{jid}/report", params=report, headers=admin_headers
        )
        assert resp.status_code == 422, resp.text
        assert [f["field"] for f in resp.json()["fields"]] == [name]


async def test_an_unknown_node_is_a_404_and_a_key_is_needed(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], jid: str
) -> None:
    url = f"/v1/journeys/{jid}/nodes/nowhere/series"
    resp = await api_client.get(url, params=window(), headers=admin_headers)
    assert resp.status_code == 404, resp.text
    assert resp.json()["message"] == f"node 'nowhere' of version 1 of journey {jid!r} not found"
    resp = await api_client.get(f"/v1/journeys/{jid}/nodes/send/series", params=window())
    assert resp.status_code == 401
