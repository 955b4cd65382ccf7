"""Recurring campaigns are Temporal Schedules (architecture decision 6): create, run, remove."""

from __future__ import annotations

import asyncio
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest
from temporalio.api.common.v1 import Payload
from temporalio.client import Client, ScheduleActionStartWorkflow
from temporalio.service import RPCError

from core.campaign_contracts import CampaignProgress, CampaignRunInput
from core.converter import data_converter
from services.campaign_client import schedule_id
from tests.integration.campaign_helpers import make_audience, make_template, uid, wait_run
from workers.worker import Runtime

pytestmark = pytest.mark.integration


async def test_schedule_created_runs_and_removed(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    pool: asyncpg.Pool,
    runtime: Runtime,
    temporal_client: Client,
) -> None:
    profiles = [uid("p") for _ in range(7)]
    audience = await make_audience(pool, profiles)
    template = await make_template(pool)
    campaign = uid("weekly")
    body = {
        "id": campaign,
        "name": "Weekly digest",
        "audience_id": audience,
        "channel": "log",
        "template": template,
        "schedule": {
            "cron": "0 9 * * MON",
            "timezone": "Europe/Paris",
            "end_at": "2030-01-01T00:00:00Z",
        },
    }
    resp = await api_client.post("/v1/campaigns", json=body, headers=admin_headers)
    assert resp.status_code == 201, resp.text
    assert resp.json()["schedule"]["cron"] == "0 9 * * MON"
    handle = temporal_client.get_schedule_handle(schedule_id(campaign))
    described = await handle.describe()
    spec = described.schedule.spec
    assert spec.time_zone_name == "Europe/Paris"
    assert spec.end_at is not None and spec.end_at.year == 2030
    nxt = described.info.next_action_times[0]
    local = nxt.astimezone(ZoneInfo("Europe/Paris"))
    assert (local.weekday(), local.hour, local.minute) == (0, 9, 0)
    action = described.schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow)
    assert action.workflow == "CampaignWorkflow"

    await handle.trigger()  # a run now, as if the cron time had come
    workflow_id = None
    async with asyncio.timeout(60):
        while workflow_id is None:
            recent = (await handle.describe()).info.recent_actions
            if recent:
                workflow_id = recent[0].action.workflow_id
            else:
                await asyncio.sleep(0.2)
    result = CampaignProgress.model_validate(
        await temporal_client.get_workflow_handle(workflow_id).result()
    )
    assert result.sent == 7 and result.status == "completed"
    run_id = workflow_id.removeprefix(f"campaign:{campaign}:")
    assert run_id.startswith("scheduled-")
    body_run = await wait_run(api_client, admin_headers, campaign, run_id)
    assert body_run["sent"] == 7 and body_run["total"] == 7
    listed = (await api_client.get(f"/v1/campaigns/{campaign}/runs", headers=admin_headers)).json()
    assert [r["run_id"] for r in listed["items"]] == [run_id]
    runs = await pool.fetch(
        "SELECT DISTINCT campaign_run FROM messages WHERE campaign_id = $1", campaign
    )
    assert [r["campaign_run"] for r in runs] == [run_id]

    # An update re-plans the schedule; the next runs use the new definition.
    body["schedule"] = {"cron": "30 18 * * *", "timezone": "UTC"}
    body["name"] = "Daily digest"
    del body["id"]
    resp = await api_client.put(f"/v1/campaigns/{campaign}", json=body, headers=admin_headers)
    assert resp.status_code == 200, resp.text
    described = await handle.describe()
    assert described.schedule.spec.time_zone_name == "UTC"
    action = described.schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow)
    (arg,) = action.args
    assert isinstance(arg, Payload)  # a described schedule's arguments stay encoded
    inp = data_converter.payload_converter.from_payload(arg, CampaignRunInput)
    assert inp.spec.name == "Daily digest"

    resp = await api_client.delete(f"/v1/campaigns/{campaign}", headers=admin_headers)
    assert resp.status_code == 204, resp.text
    with pytest.raises(RPCError):
        await handle.describe()
    archived = (await api_client.get(f"/v1/campaigns/{campaign}", headers=admin_headers)).json()
    assert archived["status"] == "archived" and archived["schedule"] is None
    resp = await api_client.post(f"/v1/campaigns/{campaign}/runs", headers=admin_headers)
    assert resp.status_code == 409, resp.text
