"""`stop?terminate=true` ends running journeys at once and records them as exited by stop."""

from __future__ import annotations

import uuid

import asyncpg
import httpx
import pytest
from temporalio.client import Client, WorkflowExecutionStatus

from core.names import journey_workflow_id
from tests.integration.helpers import eventually
from workers.worker import Runtime

pytestmark = pytest.mark.integration


async def test_stop_with_terminate(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    runtime: Runtime,
    pool: asyncpg.Pool,
    temporal_client: Client,
) -> None:
    api, h = api_client, admin_headers
    jid = f"term-{uuid.uuid4().hex[:6]}"
    defn = {
        "id": jid,
        "name": "Terminate",
        "entry": {"event": f"{jid}.go"},
        "start": "pause",
        "nodes": {
            "pause": {"type": "wait", "duration": "PT10M", "next": "done"},
            "done": {"type": "end"},
        },
    }
    assert (await api.put(f"/v1/journeys/{jid}", json=defn, headers=h)).is_success
    assert (await api.post(f"/v1/journeys/{jid}/publish", headers=h)).is_success
    profiles = [f"{jid}-p{i}" for i in range(3)]
    resp = await api.post(
        "/v1/events/batch",
        headers=h,
        json={"events": [{"name": f"{jid}.go", "profile_id": p} for p in profiles]},
    )
    assert resp.status_code == 202, resp.text

    async def all_inside() -> bool:
        n = await pool.fetchval(
            "SELECT count(*) FROM journey_entries WHERE journey_id = $1 AND ended_at IS NULL", jid
        )
        return n == 3

    await eventually(all_inside)
    resp = await api.post(f"/v1/journeys/{jid}/stop", params={"terminate": "true"}, headers=h)
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"journey_id": jid, "status": "stopped", "terminated": 3}
    for p in profiles:
        desc = await temporal_client.get_workflow_handle(journey_workflow_id(jid, p)).describe()
        assert desc.status == WorkflowExecutionStatus.TERMINATED
    rows = await pool.fetch("SELECT status, reason FROM journey_entries WHERE journey_id = $1", jid)
    assert {(r["status"], r["reason"]) for r in rows} == {("exited", "stopped by terminate")}
