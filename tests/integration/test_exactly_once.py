"""SIGKILL the worker in the middle of a send: the profile still gets the message once."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import uuid

import asyncpg
import pytest
from temporalio.client import Client, WorkflowExecutionStatus

from core.names import journey_workflow_id
from core.settings import Settings
from tests.integration.campaign_helpers import start_worker as worker_process
from tests.integration.helpers import event, publish
from tests.integration.provider import FakeProvider
from workers.router import Registry, Router

pytestmark = pytest.mark.integration


def start_worker(settings: Settings, queue: str, webhook: str) -> subprocess.Popen[bytes]:
    """A worker process whose webhook channel posts to the test's provider."""
    return worker_process(settings, queue, {"WAYLINE_WEBHOOK_URL": webhook})


def welcome(jid: str, template: str) -> dict[str, object]:
    hello = {"type": "message", "channel": "webhook", "template": template, "next": "done"}
    return {
        "id": jid,
        "name": jid,
        "entry": {"event": "signed_up"},
        "start": "hello",
        "nodes": {"hello": hello, "done": {"type": "end"}},
    }


async def test_sigkill_mid_send_delivers_once(
    settings: Settings, pool: asyncpg.Pool, temporal_client: Client
) -> None:
    jid, queue = f"welcome-{uuid.uuid4().hex[:8]}", f"kill-{uuid.uuid4().hex[:8]}"
    profile = f"p-{uuid.uuid4().hex[:8]}"
    await publish(pool, welcome(jid, f"tpl-{jid}"), f"tpl-{jid}", channel="webhook")
    with FakeProvider() as provider:
        provider.hold_first.set()
        worker = start_worker(settings, queue, provider.url)
        try:
            router = Router(temporal_client, queue)
            router.registry = await Registry.load(pool)
            await router.route(event("signed_up", profile), None)
            assert await asyncio.to_thread(provider.received.wait, 60), "no send reached provider"
            worker.send_signal(signal.SIGKILL)
            worker.wait(10)
            provider.release.set()
            worker = start_worker(settings, queue, provider.url)
            handle = temporal_client.get_workflow_handle(journey_workflow_id(jid, profile))
            result = await asyncio.wait_for(handle.result(), 90)
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(20)
    assert result == "completed"
    assert (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED
    keys = [key for key, _ in provider.requests]
    assert len(provider.requests) >= 2, "the killed attempt should have been retried"
    assert len(set(keys)) == 1 and keys[0], keys
    assert len(provider.delivered()) == 1
    rows = await pool.fetch(
        "SELECT message_id, status, attempts FROM messages WHERE profile_id = $1", profile
    )
    assert len(rows) == 1 and rows[0]["status"] == "sent" and rows[0]["attempts"] >= 2
    assert rows[0]["message_id"] == keys[0]
