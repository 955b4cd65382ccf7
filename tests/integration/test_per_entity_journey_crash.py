"""SIGKILL the worker in the middle of a per-booking journey node: each booking once.

The first booking's send is held at the provider while the worker dies; the new worker
replays the run from its history (the records read before the kill are in it, so a booking
added meanwhile gets nothing from this visit), resends the held message with the same id
and idempotency key, and sends the others once each."""

from __future__ import annotations

import asyncio
import signal

import asyncpg
import pytest
from temporalio.client import Client

from core.names import journey_workflow_id
from core.settings import Settings
from entities.model import Definition
from services import entities
from tests.integration.campaign_helpers import uid
from tests.integration.helpers import event, publish
from tests.integration.provider import FakeProvider
from tests.integration.test_exactly_once import start_worker
from workers.router import Registry, Router

pytestmark = pytest.mark.integration


def stays(jid: str, template: str, booking: str) -> dict[str, object]:
    per = {"entity": booking, "where": [{"field": "status", "op": "eq", "value": "confirmed"}]}
    remind = {"type": "message", "channel": "webhook", "template": template, "next": "done"}
    return {
        "id": jid,
        "name": jid,
        "entry": {"event": "trip.planned"},
        "start": "remind",
        "nodes": {"remind": {**remind, "per": per}, "done": {"type": "end"}},
    }


async def test_sigkill_mid_per_booking_node_sends_each_booking_once(
    settings: Settings, pool: asyncpg.Pool, temporal_client: Client
) -> None:
    jid, queue, guest = uid("stays"), uid("per-kill"), uid("guest")
    booking = uid("bk").replace("-", "_")
    definition = {
        "fields": {"booking_id": {"type": "string"}, "status": {"type": "string"}},
        "primary_key": "booking_id",
        "relations": {"guest": {"to": "profile"}},
    }
    await entities.save_type(pool, booking, Definition.model_validate(definition))
    table = f'entities."e_{booking}"'  # a checked name
    insert = f"INSERT INTO {table} (booking_id, status, guest) VALUES ($1, $2, $3)"
    for key, status in (("a", "confirmed"), ("b", "confirmed"), ("c", "confirmed"), ("d", "held")):
        await pool.execute(insert, f"{guest}-{key}", status, guest)
    template = f"tpl-{jid}"
    await publish(pool, stays(jid, template, booking), template, channel="webhook")
    await pool.execute("UPDATE templates SET body = '{{ entity.key }}' WHERE name = $1", template)
    with FakeProvider() as provider:
        provider.hold_first.set()
        worker = start_worker(settings, queue, provider.url)
        try:
            router = Router(temporal_client, queue)
            router.registry = await Registry.load(pool)
            await router.route(event("trip.planned", guest), None)
            assert await asyncio.to_thread(provider.received.wait, 60), "no send reached provider"
            worker.send_signal(signal.SIGKILL)
            worker.wait(10)
            await pool.execute(insert, f"{guest}-e", "confirmed", guest)  # after the read
            provider.release.set()
            worker = start_worker(settings, queue, provider.url)
            handle = temporal_client.get_workflow_handle(journey_workflow_id(jid, guest))
            result = await asyncio.wait_for(handle.result(), 120)
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(20)
    assert result == "completed"
    assert len(provider.requests) >= 4, "the held send should have been retried"
    delivered = provider.delivered()
    assert len(delivered) == 3
    rows = await pool.fetch(
        "SELECT message_id, entity_key, status FROM messages WHERE journey_id = $1 "
        "ORDER BY entity_key",
        jid,
    )
    assert [(r["entity_key"], r["status"]) for r in rows] == [
        (f"{guest}-{k}", "sent") for k in "abc"
    ]
    assert {r["message_id"] for r in rows} == set(delivered)
