"""Re-entrance through the real router, workflow and entry ledger."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest
from temporalio.client import Client

from core.names import journey_workflow_id
from tests.integration.helpers import event, publish
from workers.router import Registry, Router
from workers.worker import Runtime

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(("mode", "expected"), [("never", "not entered"), ("always", "completed")])
async def test_second_entry_follows_the_rule(
    mode: str, expected: str, runtime: Runtime, pool: asyncpg.Pool, temporal_client: Client
) -> None:
    jid, profile = f"re-{mode}-{uuid.uuid4().hex[:6]}", "p-re"
    defn = {
        "id": jid,
        "name": jid,
        "entry": {"event": "go"},
        "reentry": {"mode": mode},
        "start": "done",
        "nodes": {"done": {"type": "end"}},
    }
    await publish(pool, defn, "re-hello")
    router = Router(temporal_client, runtime.workers[0].task_queue)
    router.registry = await Registry.load(pool)
    handle = temporal_client.get_workflow_handle(journey_workflow_id(jid, profile))
    results = []
    for _ in range(2):
        await router.route(event("go", profile), None)
        results.append(await asyncio.wait_for(handle.result(), 30))
    assert results[0] == "completed"
    assert results[1].startswith(expected)
    rows = await pool.fetch("SELECT status FROM journey_entries WHERE journey_id = $1", jid)
    assert len(rows) == (1 if mode == "never" else 2)


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ({"mode": "never"}, "not entered: reentry never"),
        ({"mode": "after", "wait": "PT1H"}, "not entered: reentry after PT1H"),
        ({"mode": "always"}, "completed"),
    ],
)
async def test_reentry_applies_per_key(
    mode: dict[str, str],
    expected: str,
    runtime: Runtime,
    pool: asyncpg.Pool,
    temporal_client: Client,
) -> None:
    """A keyed journey's rule looks at the runs of the same key only (decision 13): cart A's
    second entry follows the rule, cart B's first one enters whatever A did."""
    jid, profile = f"rek-{mode['mode']}-{uuid.uuid4().hex[:6]}", "p-rek"
    defn = {
        "id": jid,
        "name": jid,
        "entry": {"event": "go", "key": "event.properties.cart"},
        "reentry": mode,
        "start": "done",
        "nodes": {"done": {"type": "end"}},
    }
    await publish(pool, defn, "rek-hello")
    router = Router(temporal_client, runtime.workers[0].task_queue)
    router.registry = await Registry.load(pool)

    async def enter(cart: str) -> str:
        await router.route(event("go", profile, {"cart": cart}), None)
        handle = temporal_client.get_workflow_handle(journey_workflow_id(jid, profile, cart))
        result: str = await asyncio.wait_for(handle.result(), 30)
        return result

    assert await enter("A") == "completed"
    assert (await enter("A")).startswith(expected)
    assert await enter("B") == "completed"
    rows = await pool.fetch(
        "SELECT entry_key FROM journey_entries WHERE journey_id = $1 ORDER BY entered_at", jid
    )
    assert [r["entry_key"] for r in rows] == (
        ["A", "B"] if expected != "completed" else ["A", "A", "B"]
    )
