"""A send deferred by quiet hours is a 'deferred' ledger row at once; the send itself later
supersedes it (one row, the send's outcome, the deferral time kept), and rules still apply."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest

from activities.channels import by_name
from activities.messages import MessageActivities
from activities.steplog import write_batch
from core.contracts import DeferredSend, StepBatch
from tests.integration.helpers import send_input

pytestmark = pytest.mark.integration


async def defer(
    pool: asyncpg.Pool, message_id: str, profile: str, tpl: str, channel: str
) -> datetime:
    until = (datetime.now(UTC) + timedelta(hours=2)).replace(microsecond=0)
    batch = StepBatch(
        entry_run_id="r",
        workflow_id="w",
        journey_id="j",
        version=1,
        profile_id=profile,
        deferred=DeferredSend(
            message_id=message_id, node_id="n", channel=channel, template=tpl, until=until
        ),
    )
    await write_batch(pool, batch)
    await write_batch(pool, batch)  # a retried write changes nothing
    return until


async def test_the_send_supersedes_its_deferred_row(
    pool: asyncpg.Pool, api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    profile, tpl = f"p-{uuid.uuid4().hex[:8]}", f"t-{uuid.uuid4().hex[:8]}"
    await pool.execute("INSERT INTO templates (name, channel, body) VALUES ($1, 'log', 'hi')", tpl)
    inp = send_input("log", tpl, profile)
    until = await defer(pool, inp.message_id, profile, tpl, "log")
    resp = await api_client.get(
        "/v1/messages", params={"profile_id": profile}, headers=admin_headers
    )
    [row] = resp.json()["items"]
    assert (row["status"], row["reason"]) == ("deferred", "quiet_hours")
    assert datetime.fromisoformat(row["deferred_until"]) == until
    deferred_at = datetime.fromisoformat(row["created_at"])
    result = await MessageActivities(pool, by_name()).send_message(inp)
    assert result.status == "sent"
    again = await MessageActivities(pool, by_name()).send_message(inp)
    assert again.status == "sent"
    resp = await api_client.get(
        "/v1/messages", params={"profile_id": profile}, headers=admin_headers
    )
    [row] = resp.json()["items"]
    assert (row["status"], row["reason"], row["body"]) == ("sent", None, "hi")
    assert datetime.fromisoformat(row["deferred_until"]) == until, "the deferral stays visible"
    assert datetime.fromisoformat(row["created_at"]) >= deferred_at
    attempts = await pool.fetchval(
        "SELECT attempts FROM messages WHERE message_id = $1", inp.message_id
    )
    assert attempts == 2, "the deferral is no attempt; the retry is the second"


async def test_a_deferred_send_still_obeys_consent(pool: asyncpg.Pool) -> None:
    profile, tpl = f"p-{uuid.uuid4().hex[:8]}", f"t-{uuid.uuid4().hex[:8]}"
    await pool.execute("INSERT INTO templates (name, channel, body) VALUES ($1, 'log', 'hi')", tpl)
    await pool.execute(
        "INSERT INTO subscriptions (profile_id, channel, topic, status)"
        " VALUES ($1, 'log', NULL, 'unsubscribed')",
        profile,
    )
    inp = send_input("log", tpl, profile)
    await defer(pool, inp.message_id, profile, tpl, "log")
    result = await MessageActivities(pool, by_name()).send_message(inp)
    assert (result.status, result.reason) == ("skipped", "unsubscribed from log")
    row = await pool.fetchrow(
        "SELECT status, reason FROM messages WHERE message_id = $1", inp.message_id
    )
    assert (row["status"], row["reason"]) == ("skipped", "unsubscribed from log")
