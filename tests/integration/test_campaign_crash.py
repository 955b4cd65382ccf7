"""SIGKILL the worker in the middle of a 20,000-profile campaign run: once per profile."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

import asyncpg
import pytest
from temporalio.client import Client

from core.campaign_contracts import CampaignProgress, CampaignRunInput
from core.settings import Settings
from services.campaign_client import new_run_id, spec_of, start_run
from tests.integration.campaign_helpers import (
    ledger_count,
    make_audience,
    make_campaign,
    make_template,
    uid,
    until_ledger,
)

pytestmark = pytest.mark.integration

PROFILES = 20_000


def start_worker(settings: Settings, queue: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "TEMPORAL_ADDRESS": settings.temporal_address,
        "WAYLINE_TASK_QUEUE": queue,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "cli.main", "worker", "--no-dispatcher"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def test_sigkill_mid_campaign_sends_each_profile_once(
    settings: Settings, pool: asyncpg.Pool, temporal_client: Client
) -> None:
    prefix = uid("k")
    profiles = [f"{prefix}-{i:05d}" for i in range(PROFILES)]
    audience = await make_audience(pool, profiles)
    template = await make_template(pool)
    campaign = await make_campaign(pool, audience, template)
    row = await pool.fetchrow("SELECT * FROM campaigns WHERE campaign_id = $1", campaign)
    queue = uid("campaign-kill")
    worker = start_worker(settings, queue)
    try:
        handle = await start_run(
            temporal_client,
            queue,
            CampaignRunInput(spec=spec_of(row), run_id=new_run_id(), batch_size=250, parallel=2),
        )
        await until_ledger(pool, campaign, 3_000, within=120)
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        at_kill = await ledger_count(pool, campaign)
        assert at_kill < PROFILES, "the run finished before the kill; make it longer"
        worker = start_worker(settings, queue)
        async with asyncio.timeout(180):
            result = CampaignProgress.model_validate(await handle.result())
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(20)
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
