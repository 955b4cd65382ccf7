"""SIGKILL the worker in the middle of a 20,000-profile campaign run: once per profile."""

from __future__ import annotations

import asyncpg
import pytest
from temporalio.client import Client

from core.campaign_contracts import CampaignRunInput
from core.settings import Settings
from services.campaign_client import new_run_id, spec_of
from tests.integration.campaign_helpers import (
    make_audience,
    make_campaign,
    make_template,
    run_through_a_kill,
    uid,
)

pytestmark = pytest.mark.integration

PROFILES = 20_000


async def test_sigkill_mid_campaign_sends_each_profile_once(
    settings: Settings, pool: asyncpg.Pool, temporal_client: Client
) -> None:
    prefix = uid("k")
    profiles = [f"{prefix}-{i:05d}" for i in range(PROFILES)]
    audience = await make_audience(pool, profiles)
    template = await make_template(pool)
    campaign = await make_campaign(pool, audience, template)
    row = await pool.fetchrow("SELECT * FROM campaigns WHERE campaign_id = $1", campaign)
    run = CampaignRunInput(spec=spec_of(row), run_id=new_run_id(), batch_size=250, parallel=2)
    at_kill, result = await run_through_a_kill(
        settings, pool, temporal_client, uid("campaign-kill"), run, kill_at=3_000
    )
    assert at_kill < PROFILES, "the run finished before the kill; make it longer"
    assert result.status == "completed"
    assert result.sent == PROFILES and result.remaining == 0 and result.failed == 0
    rows = await pool.fetch(
        "SELECT profile_id, count(*) AS n, min(status) AS status FROM messages "
        "WHERE campaign_id = $1 GROUP BY profile_id",
        campaign,
    )
    assert len(rows) == PROFILES
    assert {r["profile_id"] for r in rows} == set(profiles)
    assert all(r["n"] == 1 and r["status"] == "sent" for r in rows)
