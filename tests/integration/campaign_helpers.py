"""Set-up for campaign tests: templates, audiences and members written straight to tables."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from temporalio.client import Client
from temporalio.worker import Replayer

from core.campaign_contracts import CampaignProgress, CampaignRunInput
from core.converter import data_converter
from core.settings import Settings
from journeys.model import Event
from services.campaign_client import start_run
from tests.integration.helpers import uid
from tests.integration.provider import FakeProvider
from workers.router import Registry, Router
from workflows.campaign import CampaignWorkflow
from workflows.campaign_trigger import CampaignTriggerWorkflow
from workflows.sandbox import workflow_runner

HISTORIES = Path(__file__).parent.parent / "histories"


async def make_audience(
    pool: asyncpg.Pool, profiles: list[str], *, timezones: dict[str, str] | None = None
) -> str:
    """An audience whose members are `profiles` (the audience helper's tables, filled here)."""
    audience = uid("aud")
    tz = timezones or {}
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "INSERT INTO audiences (audience_id, name, definition) VALUES ($1, $1, '{}')",
            audience,
        )
        await conn.execute(
            "INSERT INTO profiles (profile_id, email, timezone) "
            "SELECT p, p || '@example.com', t FROM unnest($1::text[], $2::text[]) AS x (p, t) "
            "ON CONFLICT (profile_id) DO NOTHING",
            profiles,
            [tz.get(p) for p in profiles],
        )
        await conn.execute(
            "INSERT INTO audience_members (audience_id, profile_id) "
            "SELECT $1, p FROM unnest($2::text[]) AS p",
            audience,
            profiles,
        )
    return audience


async def make_template(
    pool: asyncpg.Pool,
    channel: str = "log",
    body: str = "Hi {{ profile.profile_id }} from {{ campaign.name }}",
    **extra: Any,
) -> str:
    name = uid("tpl")
    await pool.execute(
        "INSERT INTO templates (name, channel, subject, body, topic, transactional, html) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7)",
        name,
        channel,
        extra.get("subject"),
        body,
        extra.get("topic"),
        extra.get("transactional", False),
        extra.get("html"),
    )
    return name


async def make_campaign(
    pool: asyncpg.Pool, audience: str | None, template: str, **extra: Any
) -> str:
    """A campaign row written straight to the table (the API tests go through the API)."""
    campaign = uid("cmp")
    await pool.execute(
        "INSERT INTO campaigns (campaign_id, name, kind, audience_id, channel, template, topic, "
        "transactional, delivery) VALUES ($1, $1, $2, $3, $4, $5, $6, $7, $8)",
        campaign,
        extra.get("kind", "action"),
        audience,
        extra.get("channel", "log"),
        template,
        extra.get("topic"),
        extra.get("transactional", False),
        extra.get("delivery", {}),
    )
    return campaign


async def ledger(pool: asyncpg.Pool, campaign: str) -> list[asyncpg.Record]:
    return await pool.fetch(
        "SELECT message_id, profile_id, status, reason, body, attempts, campaign_run "
        "FROM messages WHERE campaign_id = $1 ORDER BY profile_id",
        campaign,
    )


async def wait_run(
    api: httpx.AsyncClient, headers: dict[str, str], campaign: str, run: str, within: float = 60
) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        resp = await api.get(f"/v1/campaigns/{campaign}/runs/{run}", headers=headers)
        assert resp.status_code == 200, resp.text
        body: dict[str, Any] = resp.json()
        if body["status"] in ("completed", "cancelled", "failed"):
            return body
        assert asyncio.get_running_loop().time() < deadline, body
        await asyncio.sleep(0.2)


async def ledger_count(pool: asyncpg.Pool, campaign: str) -> int:
    n = await pool.fetchval("SELECT count(*) FROM messages WHERE campaign_id = $1", campaign)
    return int(n)


async def until_ledger(pool: asyncpg.Pool, campaign: str, at_least: int, within: float = 60) -> int:
    """Polls the ledger until the campaign has at least `at_least` messages."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        n = await ledger_count(pool, campaign)
        if n >= at_least:
            return n
        assert asyncio.get_running_loop().time() < deadline, f"{n} < {at_least} messages"
        await asyncio.sleep(0.05)


def start_worker(
    settings: Settings, queue: str, extra: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """A real `wayline worker` process on its own queue, so a test can SIGKILL it."""
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "TEMPORAL_ADDRESS": settings.temporal_address,
        "WAYLINE_TASK_QUEUE": queue,
        **(extra or {}),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "cli.main", "worker", "--no-dispatcher"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def run_through_a_kill(
    settings: Settings,
    pool: asyncpg.Pool,
    temporal: Client,
    queue: str,
    run: CampaignRunInput,
    kill_at: int,
) -> tuple[int, CampaignProgress]:
    """Runs a campaign on a worker process, SIGKILLs it once `kill_at` messages are in the
    ledger, lets a second worker finish the run, and answers (messages at the kill, result)."""
    campaign = run.spec.campaign_id
    worker = start_worker(settings, queue)
    try:
        handle = await start_run(temporal, queue, run)
        await until_ledger(pool, campaign, kill_at, within=120)
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        at_kill = await ledger_count(pool, campaign)
        worker = start_worker(settings, queue)
        async with asyncio.timeout(180):
            result = CampaignProgress.model_validate(await handle.result())
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(20)
    return at_kill, result


async def journey_through_a_kill(
    settings: Settings,
    pool: asyncpg.Pool,
    temporal: Client,
    provider: FakeProvider,
    routed: Event,
    workflow_id: str,
    *,
    while_down: Callable[[], Awaitable[Any]] | None = None,
    within: float = 90,
) -> Any:
    """Routes `routed` to a journey on a worker process whose webhook posts to `provider`,
    SIGKILLs it while the provider holds the first send, runs `while_down`, lets the send
    through and a second worker finish the run; answers the workflow's result."""
    queue, webhook = uid("kill"), {"WAYLINE_WEBHOOK_URL": provider.url}
    provider.hold_first.set()
    worker = start_worker(settings, queue, webhook)
    try:
        router = Router(temporal, queue)
        router.registry = await Registry.load(pool)
        await router.route(routed, None)
        assert await asyncio.to_thread(provider.received.wait, 60), "no send reached provider"
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        if while_down is not None:
            await while_down()
        provider.release.set()
        worker = start_worker(settings, queue, webhook)
        handle = temporal.get_workflow_handle(workflow_id)
        return await asyncio.wait_for(handle.result(), within)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(20)


async def assert_replays(
    client: Client, workflow_id: str, run_id: str | None = None, *, record_as: str | None = None
) -> None:
    """The workflow code replays the history the server recorded (determinism).

    With WAYLINE_RECORD_HISTORIES=1 and `record_as`, the history is also written to
    tests/histories/ for the committed replay test (tests/unit/test_replay.py)."""
    handle = client.get_workflow_handle(workflow_id, run_id=run_id)
    history = await handle.fetch_history()
    if record_as and os.environ.get("WAYLINE_RECORD_HISTORIES"):
        HISTORIES.mkdir(exist_ok=True)
        await asyncio.to_thread((HISTORIES / f"{record_as}.json").write_text, history.to_json())
    replayer = Replayer(
        workflows=[CampaignWorkflow, CampaignTriggerWorkflow],
        data_converter=data_converter,
        workflow_runner=workflow_runner(),
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
