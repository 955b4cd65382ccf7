"""SIGKILL the worker in the middle of a per-booking journey node: each booking once.

The first booking's send is held at the provider while the worker dies; the new worker
replays the run from its history (the records read before the kill are in it, so a booking
added meanwhile gets nothing from this visit), resends the held message with the same id
and idempotency key, and sends the others once each."""

from __future__ import annotations

import asyncpg
import pytest
from temporalio.client import Client

from core.names import journey_workflow_id
from core.settings import Settings
from entities.model import Definition
from services import entities
from tests.integration.campaign_helpers import journey_through_a_kill, uid
from tests.integration.helpers import event, publish
from tests.integration.provider import FakeProvider

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
    jid, guest = uid("stays"), uid("guest")
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
    wid = journey_workflow_id(jid, guest)
    with FakeProvider() as provider:
        result = await journey_through_a_kill(
            settings,
            pool,
            temporal_client,
            provider,
            event("trip.planned", guest),
            wid,
            # a booking added after the read: this visit does not send to it
            while_down=lambda: pool.execute(insert, f"{guest}-e", "confirmed", guest),
            within=120,
        )
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
