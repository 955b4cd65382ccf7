"""DELETE /v1/profiles/{id}: data gone, journeys ended, ledger tombstones, erasure recorded."""

from __future__ import annotations

import hashlib
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


def _waiting_journey(jid: str) -> dict[str, object]:
    return {
        "id": jid,
        "name": "Waits",
        "entry": {"event": f"{jid}.go"},
        "start": "pause",
        "nodes": {
            "pause": {"type": "wait", "duration": "PT30M", "next": "done"},
            "done": {"type": "end"},
        },
    }


async def test_erasure(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    make_key: KeyMaker,
    pool: asyncpg.Pool,
    runtime: Runtime,
    temporal_client: Client,
) -> None:
    uid = uuid.uuid4().hex[:8]
    api, h = api_client, admin_headers
    pid, anon, bystander = f"erase-{uid}", f"anon-{uid}", f"keep-{uid}"
    email = f"{uid}@example.com"
    journeys = [f"er1-{uid}", f"er2-{uid}"]
    for jid in journeys:
        assert (
            await api.put(f"/v1/journeys/{jid}", json=_waiting_journey(jid), headers=h)
        ).is_success
        assert (await api.post(f"/v1/journeys/{jid}/publish", headers=h)).is_success
    assert (
        await api.put(
            f"/v1/profiles/{pid}", json={"email": email, "attributes": {"a": 1}}, headers=h
        )
    ).status_code == 201
    assert (await api.put(f"/v1/profiles/{bystander}", json={}, headers=h)).status_code == 201
    # an anonymous id merged into the profile: erased with it
    writer = await make_key("events:write", name="erasure-segment")
    basic = httpx.BasicAuth(writer["Authorization"].removeprefix("Bearer "), "")
    resp = await api.post(
        "/v1/segment/batch",
        auth=basic,
        json={
            "batch": [
                {"type": "track", "anonymousId": anon, "event": f"{uid}.seen"},
                {"type": "identify", "anonymousId": anon, "userId": pid},
                {"type": "track", "userId": pid, "event": journeys[0] + ".go"},
                {"type": "track", "userId": pid, "event": journeys[1] + ".go"},
                {"type": "track", "userId": bystander, "event": journeys[0] + ".go"},
            ]
        },
    )
    assert resp.status_code == 200 and resp.json()["success"], resp.text

    async def inside() -> bool:
        n = await pool.fetchval(
            "SELECT count(*) FROM journey_entries WHERE profile_id = ANY($1::text[]) "
            "AND ended_at IS NULL",
            [pid, bystander],
        )
        return n == 3

    await eventually(inside)
    # The ledger lost track of one run: visibility (ProfileId) must still find it.
    lost = journey_workflow_id(journeys[1], pid)

    async def visible() -> bool:
        found = [w.id async for w in temporal_client.list_workflows(f"ProfileId = '{pid}'")]
        return lost in found

    await eventually(visible)
    await pool.execute("DELETE FROM journey_entries WHERE workflow_id = $1", lost)
    mid = f"m-{uid}"
    await pool.execute(
        "INSERT INTO messages (message_id, profile_id, channel, template, status, recipient, "
        "subject, body, error, sent_at) VALUES ($1, $2, 'email', 't', 'sent', $3, 'Hi', "
        "'Dear you', 'none', now())",
        mid,
        pid,
        email,
    )
    await pool.execute(
        "INSERT INTO inbox (message_id, profile_id, body) VALUES ($1, $2, 'inbox body')", mid, pid
    )
    await pool.execute(
        "INSERT INTO subscriptions (profile_id, channel, status) "
        "VALUES ($1, 'email', 'unsubscribed')",
        pid,
    )
    await pool.execute(
        "INSERT INTO suppressions (channel, address, reason) VALUES ('email', $1, 'complaint')",
        email,
    )
    aid = f"aud-{uid}"
    # A rule both profiles always match: the audience rechecker, woken by their writes,
    # must leave the memberships inserted below alone.
    everyone = (
        '{"or": [{"field": "email", "op": "exists"}, {"field": "email", "op": "not_exists"}]}'
    )
    await pool.execute(
        "INSERT INTO audiences (audience_id, name, definition) VALUES ($1, $1, $2::jsonb)",
        aid,
        everyone,
    )
    await pool.execute(
        "INSERT INTO audience_members (audience_id, profile_id) VALUES ($1, $2), ($1, $3)",
        aid,
        pid,
        bystander,
    )
    await pool.execute(
        "INSERT INTO audience_changes (audience_id, profile_id, change) VALUES ($1, $2, 'entered')",
        aid,
        pid,
    )

    resp = await api.delete(f"/v1/profiles/{anon}", headers=h)
    assert resp.status_code == 409 and pid in resp.json()["message"]
    reader = await make_key("read", name="erasure-reader")
    assert (await api.delete(f"/v1/profiles/{pid}", headers=reader)).status_code == 403
    eraser = await make_key("profiles:write", name="erasure-operator")
    resp = await api.delete(f"/v1/profiles/{pid}", headers=eraser)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["profile_id"] == pid
    assert body["counts"] == {
        "journeys_ended": 2,
        "profile": 1,
        "events": 3,
        "aliases": 1,
        "inbox": 1,
        "audience_memberships": 1,
        "audience_changes": 1,
        "subscriptions": 1,
        "profile_updates": 0,
        "engagement_hours": 0,
        "messages_tombstoned": 1,
        "action_calls_scrubbed": 0,
    }

    for jid in journeys:
        desc = await temporal_client.get_workflow_handle(journey_workflow_id(jid, pid)).describe()
        assert desc.status == WorkflowExecutionStatus.TERMINATED
    other = await temporal_client.get_workflow_handle(
        journey_workflow_id(journeys[0], bystander)
    ).describe()
    assert other.status == WorkflowExecutionStatus.RUNNING
    entries = await pool.fetch(
        "SELECT status, reason FROM journey_entries WHERE profile_id = $1", pid
    )
    assert [tuple(r.values()) for r in entries] == [("exited", "erased")]

    for table in (
        "profiles",
        "events",
        "inbox",
        "subscriptions",
        "audience_members",
        "audience_changes",
    ):
        n = await pool.fetchval(
            f"SELECT count(*) FROM {table} WHERE profile_id = ANY($1::text[])", [pid, anon]
        )
        assert n == 0, table
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM profile_aliases WHERE alias_id = $1 OR profile_id = $2", anon, pid
        )
        == 0
    )
    tomb = await pool.fetchrow("SELECT * FROM messages WHERE message_id = $1", mid)
    assert (tomb["recipient"], tomb["subject"], tomb["body"], tomb["error"]) == (None,) * 4
    assert (tomb["status"], tomb["channel"]) == ("sent", "email")
    assert tomb["sent_at"] is not None and tomb["erased_at"] is not None
    # kept: the suppression (address-based legal record) and everything of other profiles
    assert await pool.fetchval("SELECT count(*) FROM suppressions WHERE address = $1", email) == 1
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM audience_members WHERE profile_id = $1", bystander
        )
        == 1
    )
    # the erasure is recorded, by hash and key, with no personal data
    record = await pool.fetchrow("SELECT * FROM profile_erasures WHERE id = $1", body["erasure_id"])
    assert record["profile_hash"] == hashlib.sha256(pid.encode()).hexdigest()
    assert record["key_name"] == "erasure-operator"
    assert pid not in str(dict(record)) and email not in str(dict(record))

    assert (await api.delete(f"/v1/profiles/{pid}", headers=eraser)).status_code == 404
    # what is left of the profile is ledger tombstones, no events
    left = (await api.get(f"/v1/profiles/{pid}/timeline", headers=reader)).json()["items"]
    assert {i["kind"] for i in left} == {"journey_entered", "journey_exited", "message"}
    assert [i["data"]["erased"] for i in left if i["kind"] == "message"] == [True]


async def test_erasure_of_an_id_with_quotes(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    """The visibility query quotes the id: a hostile id neither breaks it nor widens it."""
    pid = f"o'brien\\{uuid.uuid4().hex[:6]}' OR ProfileId != '"
    assert (await api_client.put(f"/v1/profiles/{pid}", json={}, headers=admin_headers)).is_success
    resp = await api_client.delete(f"/v1/profiles/{pid}", headers=admin_headers)
    assert resp.status_code == 200, resp.text
    assert resp.json()["counts"]["profile"] == 1
    assert resp.json()["counts"]["journeys_ended"] == 0
