"""Approval: a campaign that requires it runs only once a second user approved it."""

from __future__ import annotations

import asyncpg
import httpx
import pytest
from temporalio.client import Client
from temporalio.service import RPCError

from services.campaign_client import schedule_id
from tests.integration.campaign_helpers import make_audience, make_template, uid, wait_run
from tests.integration.conftest import KeyMaker
from workers.worker import Runtime

pytestmark = pytest.mark.integration


async def test_second_user_approves_before_runs_and_schedules(
    api_client: httpx.AsyncClient,
    make_key: KeyMaker,
    pool: asyncpg.Pool,
    runtime: Runtime,
    temporal_client: Client,
) -> None:
    author = await make_key("campaigns:write", "read", name="author")
    approver = await make_key("campaigns:approve", name="approver")
    profiles = [uid("p") for _ in range(3)]
    audience = await make_audience(pool, profiles)
    template = await make_template(pool)
    campaign = uid("launch")
    body = {
        "name": "Launch",
        "audience_id": audience,
        "channel": "log",
        "template": template,
        "requires_approval": True,
        "schedule": {"cron": "0 8 * * *"},
    }
    resp = await api_client.post("/v1/campaigns", json={"id": campaign, **body}, headers=author)
    assert resp.status_code == 201, resp.text
    assert resp.json()["approved"] is False
    schedule = temporal_client.get_schedule_handle(schedule_id(campaign))
    with pytest.raises(RPCError):
        await schedule.describe()  # no schedule before approval
    resp = await api_client.post(f"/v1/campaigns/{campaign}/runs", headers=author)
    assert resp.status_code == 409 and "awaits approval" in resp.json()["message"]

    # The author cannot approve (no scope); an author holding the scope still may not.
    resp = await api_client.post(f"/v1/campaigns/{campaign}/approve", headers=author)
    assert resp.status_code == 403, resp.text
    both = await make_key("campaigns:write", "campaigns:approve", name="both")
    resp = await api_client.put(f"/v1/campaigns/{campaign}", json=body, headers=both)
    assert resp.status_code == 200, resp.text
    resp = await api_client.post(f"/v1/campaigns/{campaign}/approve", headers=both)
    assert resp.status_code == 403 and "second user" in resp.json()["message"]

    resp = await api_client.post(f"/v1/campaigns/{campaign}/approve", headers=approver)
    assert resp.status_code == 200, resp.text
    assert resp.json()["approved"] is True and resp.json()["approved_at"]
    nxt = (await schedule.describe()).info.next_action_times[0]
    assert (nxt.hour, nxt.minute) == (8, 0)  # the schedule exists once approved
    resp = await api_client.post(f"/v1/campaigns/{campaign}/runs", headers=author)
    assert resp.status_code == 201, resp.text
    run = await wait_run(api_client, author, campaign, resp.json()["run_id"])
    assert run["sent"] == 3

    # A change withdraws the approval, and the schedule with it.
    resp = await api_client.put(
        f"/v1/campaigns/{campaign}", json={**body, "name": "Launch v2"}, headers=author
    )
    assert resp.status_code == 200 and resp.json()["approved"] is False
    with pytest.raises(RPCError):
        await schedule.describe()
    resp = await api_client.post(f"/v1/campaigns/{campaign}/runs", headers=author)
    assert resp.status_code == 409, resp.text
