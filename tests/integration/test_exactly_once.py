"""SIGKILL the worker in the middle of a send: the profile still gets the message once."""

from __future__ import annotations

import asyncpg
import pytest
from temporalio.client import Client, WorkflowExecutionStatus

from core.names import journey_workflow_id
from core.settings import Settings
from tests.integration.campaign_helpers import journey_through_a_kill, uid
from tests.integration.helpers import event, publish
from tests.integration.provider import FakeProvider

pytestmark = pytest.mark.integration


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
    jid, profile = uid("welcome"), uid("p")
    await publish(pool, welcome(jid, f"tpl-{jid}"), f"tpl-{jid}", channel="webhook")
    wid = journey_workflow_id(jid, profile)
    with FakeProvider() as provider:
        routed = event("signed_up", profile)
        result = await journey_through_a_kill(
            settings, pool, temporal_client, provider, routed, wid
        )
    handle = temporal_client.get_workflow_handle(wid)
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
