"""Sends to a provider that is down: retries bounded by the send retry policy, then the
message fails with its reason; a campaign cancelled while its sends fail ends at once.

The provider is the session worker's email channel, pointed at 127.0.0.1:25 where nothing
listens: every SMTP connection is refused, a retryable failure.
"""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import httpx
import pytest
from prometheus_client import REGISTRY
from temporalio.client import Client

from core.campaign_contracts import CampaignProgress, CampaignRunInput
from core.contracts import EventSignal, JourneyInput
from core.names import EVENT_SIGNAL, JOURNEY_WORKFLOW, journey_workflow_id
from core.retries import SEND_RETRY, SendRetry
from core.settings import Settings
from services.campaign_client import new_run_id, spec_of, start_run
from tests.integration.campaign_helpers import (
    assert_replays,
    ledger,
    make_audience,
    make_campaign,
    make_template,
    uid,
    wait_run,
)
from tests.integration.helpers import event, publish
from workers.embedded import port_open
from workers.worker import Runtime

pytestmark = pytest.mark.integration
QUICK = SendRetry(attempts=3, initial_seconds=0.1, max_seconds=0.2)


@pytest.fixture(autouse=True)
def smtp_down(settings: Settings) -> None:
    assert (settings.smtp_host, settings.smtp_port) == ("127.0.0.1", 25)
    assert not port_open("127.0.0.1", 25), "these tests need nothing listening on port 25"


def messages_total(channel: str, status: str) -> float:
    """wayline_messages_total of the in-process worker (the session runtime)."""
    labels = {"channel": channel, "status": status}
    return REGISTRY.get_sample_value("wayline_messages_total", labels) or 0.0


def test_the_documented_policy() -> None:
    policy = SEND_RETRY.policy()
    assert policy.maximum_attempts == 12
    assert policy.initial_interval.total_seconds() == 1
    assert policy.backoff_coefficient == 2
    assert policy.maximum_interval is not None
    assert policy.maximum_interval.total_seconds() == 60


async def email_campaign(pool: asyncpg.Pool, n: int) -> str:
    audience = await make_audience(pool, [uid("p") for _ in range(n)])
    template = await make_template(pool, "email", subject="Hello")
    return await make_campaign(pool, audience, template, channel="email")


async def test_campaign_send_fails_after_its_attempts(
    pool: asyncpg.Pool, runtime: Runtime, settings: Settings
) -> None:
    campaign = await email_campaign(pool, 3)
    row = await pool.fetchrow("SELECT * FROM campaigns WHERE campaign_id = $1", campaign)
    failed_before = messages_total("email", "failed")
    handle = await start_run(
        runtime.client,
        settings.task_queue,
        CampaignRunInput(spec=spec_of(row), run_id=new_run_id(), send_retry=QUICK),
    )
    async with asyncio.timeout(60):
        result = CampaignProgress.model_validate(await handle.result())
    assert (result.status, result.sent, result.failed) == ("completed", 0, 3)
    assert messages_total("email", "failed") - failed_before == 3  # the worker's /metrics
    rows = await pool.fetch("SELECT status, error FROM messages WHERE campaign_id = $1", campaign)
    assert [r["status"] for r in rows] == ["failed"] * 3
    for r in rows:
        assert r["error"].startswith("smtp: "), r["error"]
        assert r["error"].endswith(" (gave up after 3 attempts)"), r["error"]
    await assert_replays(runtime.client, handle.id)


async def test_cancel_stops_a_campaign_whose_sends_fail(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    pool: asyncpg.Pool,
    runtime: Runtime,
) -> None:
    campaign = await email_campaign(pool, 4)
    resp = await api_client.post(f"/v1/campaigns/{campaign}/runs", headers=admin_headers)
    assert resp.status_code == 201, resp.text
    run = resp.json()["run_id"]
    handle = runtime.client.get_workflow_handle(resp.json()["workflow_id"])
    for _ in range(600):  # the batch has failed once and waits for Temporal to retry it
        pending = (await handle.describe()).raw_description.pending_activities
        if pending and pending[0].attempt >= 2:
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("the batch was never retried")
    assert [r["status"] for r in await ledger(pool, campaign)] == ["sending"] * 4
    resp = await api_client.post(
        f"/v1/campaigns/{campaign}/runs/{run}/cancel", headers=admin_headers
    )
    assert resp.status_code == 202, resp.text
    # Well before the policy's next retries (and its 12 attempts) could have run out.
    body = await wait_run(api_client, admin_headers, campaign, run, within=30)
    assert body["status"] == "cancelled"
    assert not (await handle.describe()).raw_description.pending_activities
    rows = await ledger(pool, campaign)
    assert [r["status"] for r in rows] == ["failed"] * 4
    errors = await pool.fetch("SELECT error FROM messages WHERE campaign_id = $1", campaign)
    assert {r["error"] for r in errors} == {"campaign run cancelled before the send succeeded"}
    await assert_replays(runtime.client, handle.id)


async def test_journey_send_fails_after_its_attempts(
    runtime: Runtime, pool: asyncpg.Pool, temporal_client: Client
) -> None:
    jid, profile, tpl = f"down-{uuid.uuid4().hex[:6]}", uid("p"), uid("tpl")
    defn = {
        "id": jid,
        "name": jid,
        "entry": {"event": "go"},
        "start": "mail",
        "nodes": {
            "mail": {"type": "message", "channel": "email", "template": tpl, "next": "done"},
            "done": {"type": "end"},
        },
    }
    await publish(pool, defn, tpl, channel="email")
    await pool.execute(
        "INSERT INTO profiles (profile_id, email) VALUES ($1, $1 || '@example.com')", profile
    )
    entry = event("go", profile)
    handle = await temporal_client.start_workflow(
        JOURNEY_WORKFLOW,
        JourneyInput(
            journey_id=jid, version=1, profile_id=profile, entry_event=entry, send_retry=QUICK
        ),
        id=journey_workflow_id(jid, profile),
        task_queue=runtime.workers[0].task_queue,
        start_signal=EVENT_SIGNAL,
        start_signal_args=[EventSignal(event=entry)],
    )
    assert await asyncio.wait_for(handle.result(), 60) == "completed"
    [row] = await pool.fetch("SELECT status, error FROM messages WHERE journey_id = $1", jid)
    assert row["status"] == "failed"
    assert row["error"].startswith("smtp: ") and row["error"].endswith(
        " (gave up after 3 attempts)"
    ), row["error"]
