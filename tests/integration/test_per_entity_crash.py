"""SIGKILL the worker in the middle of a per-booking campaign run: each booking once."""

from __future__ import annotations

import asyncpg
import pytest
from temporalio.client import Client

from core.campaign_contracts import CampaignRunInput
from core.settings import Settings
from entities.model import Definition
from services import entities
from services.campaign_client import new_run_id, spec_of
from tests.integration.campaign_helpers import (
    make_audience,
    make_campaign,
    make_template,
    run_through_a_kill,
    uid,
)

pytestmark = pytest.mark.integration

PROFILES = 3_000
PER_PROFILE = 2


async def test_sigkill_mid_per_booking_run_sends_each_booking_once(
    settings: Settings, pool: asyncpg.Pool, temporal_client: Client
) -> None:
    prefix = uid("kb")
    booking = uid("bk").replace("-", "_")
    definition = {
        "fields": {"booking_id": {"type": "string"}},
        "primary_key": "booking_id",
        "relations": {"guest": {"to": "profile"}},
    }
    await entities.save_type(pool, booking, Definition.model_validate(definition))
    profiles = [f"{prefix}-{i:05d}" for i in range(PROFILES)]
    audience = await make_audience(pool, profiles)
    await pool.execute(
        f'INSERT INTO entities."e_{booking}" (booking_id, guest) '  # a checked name
        "SELECT p || '-' || k, p FROM unnest($1::text[]) p, generate_series(1, $2) k",
        profiles,
        PER_PROFILE,
    )
    template = await make_template(pool, body="{{ entity.key }}")
    campaign = await make_campaign(pool, audience, template)
    await pool.execute(
        "UPDATE campaigns SET per = $2 WHERE campaign_id = $1", campaign, {"entity": booking}
    )
    row = await pool.fetchrow("SELECT * FROM campaigns WHERE campaign_id = $1", campaign)
    total = PROFILES * PER_PROFILE
    run = CampaignRunInput(spec=spec_of(row), run_id=new_run_id(), batch_size=100, parallel=1)
    at_kill, result = await run_through_a_kill(
        settings, pool, temporal_client, uid("per-kill"), run, kill_at=600
    )
    assert at_kill < total, "the run finished before the kill; make it longer"
    assert result.status == "completed" and result.failed == 0
    assert result.sent == total, result
    rows = await pool.fetch(
        "SELECT entity_key, count(*) AS n, min(status) AS status, min(body) AS body "
        "FROM messages WHERE campaign_id = $1 GROUP BY entity_key",
        campaign,
    )
    expected = {f"{p}-{k}" for p in profiles for k in range(1, PER_PROFILE + 1)}
    assert {r["entity_key"] for r in rows} == expected
    assert all(r["n"] == 1 and r["status"] == "sent" for r in rows)
    assert all(r["body"] == r["entity_key"] for r in rows)
