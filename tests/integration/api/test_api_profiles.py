"""Profiles: PUT replaces, PATCH merges, and a profile's journeys with their current node."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest
from temporalio import workflow
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from core.names import STATE_QUERY, journey_workflow_id
from tests.integration.helpers import uid

pytestmark = pytest.mark.integration


@workflow.defn(name="ApiTestJourney")
class ApiTestJourney:
    """Stands in for JourneyWorkflow: waits forever and answers the state query."""

    @workflow.query(name=STATE_QUERY)
    def state(self) -> dict[str, str]:
        return {"node": "wait_order"}

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: False)


async def test_put_get_replace(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    pid = uid("p")
    body = {
        "email": "ada@example.com",
        "phone": "+33 6 12 34 56 78",
        "timezone": "Europe/Paris",
        "attributes": {"first_name": "Ada", "plan": "pro"},
    }
    resp = await api_client.put(f"/v1/profiles/{pid}", json=body, headers=admin_headers)
    assert resp.status_code == 201, resp.text
    assert resp.json()["attributes"] == body["attributes"]
    resp = await api_client.put(
        f"/v1/profiles/{pid}", json={"attributes": {"plan": "free"}}, headers=admin_headers
    )
    assert resp.status_code == 200, resp.text
    got = (await api_client.get(f"/v1/profiles/{pid}", headers=admin_headers)).json()
    assert got["profile_id"] == pid
    assert got["attributes"] == {"plan": "free"}
    assert got["email"] is None and got["timezone"] is None  # PUT replaces everything


async def test_patch_merges_and_removes(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    pid = uid("p")
    resp = await api_client.patch(
        f"/v1/profiles/{pid}",
        json={"email": "a@b.c", "attributes": {"a": 1, "b": 2}},
        headers=admin_headers,
    )
    assert resp.status_code == 201, resp.text
    resp = await api_client.patch(
        f"/v1/profiles/{pid}",
        json={"timezone": "UTC", "attributes": {"b": None, "c": {"d": 3}}},
        headers=admin_headers,
    )
    assert resp.status_code == 200, resp.text
    got = resp.json()
    assert got["attributes"] == {"a": 1, "c": {"d": 3}}
    assert got["email"] == "a@b.c" and got["timezone"] == "UTC"
    resp = await api_client.patch(
        f"/v1/profiles/{pid}", json={"email": None}, headers=admin_headers
    )
    assert resp.json()["email"] is None and resp.json()["attributes"] == {"a": 1, "c": {"d": 3}}


async def test_invalid_profile_fields(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    resp = await api_client.put(
        f"/v1/profiles/{uid('p')}",
        json={"timezone": "Mars/Olympus", "email": "nope", "attributes": [], "age": 3},
        headers=admin_headers,
    )
    assert resp.status_code == 422, resp.text
    fields = {f["field"]: f["message"] for f in resp.json()["fields"]}
    assert set(fields) == {"timezone", "email", "attributes", "age"}
    assert "Mars/Olympus" in fields["timezone"]


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
async def test_addresses_that_would_reach_someone_else_are_refused(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], pool: asyncpg.Pool, method: str
) -> None:
    """`bad<someone@example.test` once passed and mailed someone@example.test: now a 422
    naming the field, like a phone without its country code or a token holding a comma."""
    pid = uid("p")
    url = f"/v1/profiles/{pid}"
    for body, field, needle in [
        ({"email": "bad<someone@example.test"}, "email", "not an email address: "),
        ({"email": "Ada <ada@example.com>"}, "email", "display name"),
        ({"phone": "06 12 34 56 78"}, "phone", "must start with + and the country code"),
        ({"attributes": {"push_tokens": ["dev-a", "a,b"]}}, "attributes.push_tokens[1]", "token"),
        ({"attributes": {"push_tokens": "dev-a"}}, "attributes.push_tokens", "list"),
    ]:
        resp = await api_client.request(method, url, json=body, headers=admin_headers)
        assert resp.status_code == 422, resp.text
        [problem] = resp.json()["fields"]
        assert problem["field"] == field and needle in problem["message"], problem
    assert await pool.fetchval("SELECT count(*) FROM profiles WHERE profile_id = $1", pid) == 0
    good = {
        "email": "Ada@Example.COM",
        "phone": "+33 6 12 34 56 78",
        "attributes": {"push_tokens": ["dev-a"]},
    }
    resp = await api_client.request(method, url, json=good, headers=admin_headers)
    assert resp.status_code == 201, resp.text
    got = resp.json()
    assert (got["email"], got["phone"]) == ("Ada@example.com", "+33612345678")  # normalised
    assert got["attributes"] == {"push_tokens": ["dev-a"]}


async def test_scopes_and_missing_profile(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], make_key: object
) -> None:
    resp = await api_client.get(f"/v1/profiles/{uid('p')}", headers=admin_headers)
    assert resp.status_code == 404 and resp.json()["error"] == "not_found"
    events_only = await make_key("events:write")  # type: ignore[operator]
    resp = await api_client.put(f"/v1/profiles/{uid('p')}", json={}, headers=events_only)
    assert resp.status_code == 403 and "profiles:write" in resp.json()["message"]


async def test_profile_journeys_with_state(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    pool: asyncpg.Pool,
    temporal_client: Client,
) -> None:
    pid = uid("p")
    live_jid, dead_jid, done_jid = uid("live"), uid("gone"), uid("done")
    live_wf = journey_workflow_id(live_jid, pid)
    now = datetime.now(UTC)
    async with Worker(
        temporal_client,
        task_queue=uid("api-test"),
        workflows=[ApiTestJourney],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ) as worker:
        handle = await temporal_client.start_workflow(
            ApiTestJourney.run, id=live_wf, task_queue=worker.task_queue
        )
        rows = [
            (uid("run"), live_wf, live_jid, 1, pid, now - timedelta(minutes=1), None, "active"),
            (
                uid("run"),
                journey_workflow_id(dead_jid, pid),
                dead_jid,
                2,
                pid,
                now - timedelta(minutes=2),
                None,
                "active",
            ),
            (
                uid("run"),
                journey_workflow_id(done_jid, pid),
                done_jid,
                3,
                pid,
                now - timedelta(minutes=3),
                now,
                "completed",
            ),
        ]
        await pool.executemany(
            "INSERT INTO journey_entries (run_id, workflow_id, journey_id, version, profile_id,"
            " entered_at, ended_at, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            rows,
        )
        try:
            resp = await api_client.get(f"/v1/profiles/{pid}/journeys", headers=admin_headers)
        finally:
            await handle.terminate()
    assert resp.status_code == 200, resp.text
    items = resp.json()["items"]
    assert [i["journey_id"] for i in items] == [live_jid, dead_jid, done_jid]  # newest first
    live, dead, done = items
    assert live["current_node"] == "wait_order" and live["state_error"] is None
    assert live["workflow_id"] == live_wf and live["version"] == 1
    assert dead["current_node"] is None and dead["state_error"]  # tolerated, reported
    assert done["status"] == "completed" and done["ended_at"] is not None
    assert done["current_node"] is None and done["state_error"] is None
