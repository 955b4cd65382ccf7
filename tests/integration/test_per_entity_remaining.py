"""A per-entity campaign run's `remaining` counts members, not messages (issue 17.4): while
the run is in progress its ledger holds several messages for one member and none for a
member without a matching record, and neither may make the count wrong."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
import httpx
import pytest

from activities.campaign import CampaignActivities
from activities.channels import by_name
from activities.messages import MessageActivities
from core.campaign_contracts import BatchInput, StartRunInput
from services.campaign_client import spec_of
from tests.integration.campaign_helpers import make_audience, make_template, uid
from tests.integration.test_per_entity_campaigns import _campaign, _types

pytestmark = pytest.mark.integration


async def _remaining(api: httpx.AsyncClient, h: dict[str, str], campaign: str, run: str) -> int:
    resp = await api.get(f"/v1/campaigns/{campaign}/runs/{run}", headers=h)
    assert resp.status_code == 200, resp.text
    remaining: int = resp.json()["remaining"]
    return remaining


async def test_remaining_counts_members_while_a_per_entity_run_is_in_progress(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], pool: asyncpg.Pool
) -> None:
    api, h = api_client, admin_headers
    _, booking = await _types(api, h)
    prefix = uid("rem")
    # Send order is by profile id: a guest with three bookings, one with none, one with one.
    guest, nobody, last = f"{prefix}-1", f"{prefix}-2", f"{prefix}-3"
    rows = [
        {"booking_id": f"{guest}-{k}", "nights": 1, "status": "confirmed", "guest": guest}
        for k in "abc"
    ]
    rows.append({"booking_id": f"{last}-a", "nights": 1, "status": "confirmed", "guest": last})
    resp = await api.post(f"/v1/entities/{booking}/batch", json={"records": rows}, headers=h)
    assert resp.status_code == 200, resp.text
    audience = await make_audience(pool, [guest, nobody, last])
    campaign = await _campaign(api, h, audience, await make_template(pool), booking)
    spec = spec_of(await pool.fetchrow("SELECT * FROM campaigns WHERE campaign_id = $1", campaign))
    acts = CampaignActivities(pool, MessageActivities(pool, by_name()))
    run, now = uid("run"), datetime.now(UTC)
    started = await acts.start_run(StartRunInput(spec=spec, run_id=run, workflow_id="w", now=now))
    assert started.total == 3
    assert await _remaining(api, h, campaign, run) == 3

    def batch(first: int, end: int) -> BatchInput:
        return BatchInput(
            spec=spec, run_id=run, workflow_id="w", first_seq=first, end_seq=end, now=now
        )

    first = await acts.send_batch(batch(0, 1))  # the guest: three messages, one member
    assert first.sent == 3
    assert await _remaining(api, h, campaign, run) == 2  # counting messages said 0
    second = await acts.send_batch(batch(1, 2))  # no matching booking: no ledger row
    assert second.sent == 0 and second.skipped == {f"no matching {booking}": 1}
    assert await _remaining(api, h, campaign, run) == 1
    again = await acts.send_batch(batch(1, 2))  # a retried batch is not counted twice
    assert again.processed == 1
    assert await _remaining(api, h, campaign, run) == 1
    await acts.send_batch(batch(2, 3))
    assert await _remaining(api, h, campaign, run) == 0
    resp = await api.get(f"/v1/campaigns/{campaign}/runs/{run}", headers=h)
    assert resp.json()["sent"] == 4 and resp.json()["status"] == "running"
