"""A looping journey continues as new when its history grows, keeping its state and ids."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest
from temporalio.client import Client

from core.contracts import EventSignal, JourneyInput
from core.names import EVENT_SIGNAL, JOURNEY_WORKFLOW, journey_workflow_id
from journeys.model import Event
from tests.integration.helpers import event, publish
from workers.worker import Runtime

pytestmark = pytest.mark.integration


def ping(profile: str, name: str = "ping") -> Event:
    return event(name, profile)


async def test_loop_continues_as_new(
    runtime: Runtime, pool: asyncpg.Pool, temporal_client: Client
) -> None:
    jid, profile, tpl = f"loop-{uuid.uuid4().hex[:6]}", "p-loop", "loop-hello"
    defn = {
        "id": jid,
        "name": jid,
        "entry": {"event": "go"},
        "start": "listen",
        "exit_on": ["stop"],
        "nodes": {
            "listen": {
                "type": "wait_for_event",
                "event": "ping",
                "timeout": "PT5M",
                "on_event": "pong",
                "on_timeout": "done",
            },
            "pong": {"type": "message", "channel": "log", "template": tpl, "next": "listen"},
            "done": {"type": "end"},
        },
    }
    await publish(pool, defn, tpl)
    entry = ping(profile, "go")
    handle = await temporal_client.start_workflow(
        JOURNEY_WORKFLOW,
        JourneyInput(
            journey_id=jid, version=1, profile_id=profile, entry_event=entry, history_limit=20
        ),
        id=journey_workflow_id(jid, profile),
        task_queue=runtime.workers[0].task_queue,
        start_signal=EVENT_SIGNAL,
        start_signal_args=[EventSignal(event=entry)],
    )
    count = "SELECT count(*) FROM messages WHERE journey_id = $1"
    for i in range(8):
        # The next ping only once the last one was answered: an event that arrives while the
        # journey is not waiting for it is (by design) not queued for a later wait.
        await temporal_client.get_workflow_handle(handle.id).signal(
            EVENT_SIGNAL, EventSignal(event=ping(profile))
        )
        for _ in range(100):
            if await pool.fetchval(count, jid) == i + 1:
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError(f"ping {i} was not answered (lost at a continue-as-new?)")
    await handle.signal(EVENT_SIGNAL, EventSignal(event=ping(profile, "stop")))
    latest = temporal_client.get_workflow_handle(handle.id)
    assert await asyncio.wait_for(latest.result(), 60) == "exited"
    assert (await latest.describe()).run_id != handle.result_run_id, "never continued as new"
    rows = await pool.fetch("SELECT message_id FROM messages WHERE journey_id = $1", jid)
    assert len(rows) == 8 and len({r["message_id"] for r in rows}) == 8
    entries = await pool.fetch("SELECT status FROM journey_entries WHERE journey_id = $1", jid)
    assert [r["status"] for r in entries] == ["exited"]
