"""A recurring campaign's next runs, as its Temporal Schedule will start them (the
console's campaign page shows them)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest

from tests.integration.campaign_helpers import make_audience, make_template, uid
from tests.integration.conftest import KeyMaker

pytestmark = pytest.mark.integration


async def create(
    api: httpx.AsyncClient, h: dict[str, str], pool: asyncpg.Pool, **extra: object
) -> str:
    campaign = uid("weekly")
    body = {
        "id": campaign,
        "name": "Weekly digest",
        "audience_id": await make_audience(pool, [uid("p")]),
        "channel": "log",
        "template": await make_template(pool),
        **extra,
    }
    resp = await api.post("/v1/campaigns", json=body, headers=h)
    assert resp.status_code == 201, resp.text
    return campaign


async def test_next_runs_of_a_schedule(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], pool: asyncpg.Pool
) -> None:
    schedule = {"cron": "0 9 * * MON", "timezone": "Europe/Paris"}
    campaign = await create(api_client, admin_headers, pool, schedule=schedule)
    resp = await api_client.get(
        f"/v1/campaigns/{campaign}/schedule", params={"count": 3}, headers=admin_headers
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert (body["cron"], body["timezone"], body["scheduled"], body["paused"]) == (
        "0 9 * * MON",
        "Europe/Paris",
        True,
        False,
    )
    assert len(body["next_runs"]) == 3
    for at in body["next_runs"]:
        local = datetime.fromisoformat(at).astimezone(ZoneInfo("Europe/Paris"))
        assert (local.weekday(), local.hour, local.minute) == (0, 9, 0)
    assert body["next_runs"] == sorted(body["next_runs"])


async def test_awaiting_approval_has_no_next_run_and_no_schedule_is_404(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], pool: asyncpg.Pool
) -> None:
    schedule = {"cron": "0 9 * * *", "timezone": "UTC"}
    waiting = await create(
        api_client, admin_headers, pool, schedule=schedule, requires_approval=True
    )
    resp = await api_client.get(f"/v1/campaigns/{waiting}/schedule", headers=admin_headers)
    assert resp.status_code == 200, resp.text
    assert (resp.json()["scheduled"], resp.json()["next_runs"]) == (False, [])

    once = await create(api_client, admin_headers, pool)
    resp = await api_client.get(f"/v1/campaigns/{once}/schedule", headers=admin_headers)
    assert resp.status_code == 404
    assert resp.json()["message"] == f"schedule of campaign {once!r} not found"
    resp = await api_client.get(f"/v1/campaigns/{uid('none')}/schedule", headers=admin_headers)
    assert resp.status_code == 404
    resp = await api_client.get(
        f"/v1/campaigns/{once}/schedule", params={"count": 11}, headers=admin_headers
    )
    assert resp.status_code == 422 and resp.json()["fields"][0]["field"] == "count"


async def test_read_scope_needed(api_client: httpx.AsyncClient, make_key: KeyMaker) -> None:
    writer = await make_key("events:write")
    assert (await api_client.get("/v1/campaigns/x/schedule", headers=writer)).status_code == 403
