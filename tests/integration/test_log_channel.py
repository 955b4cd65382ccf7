"""The log channel's message: the ledger row is the delivery, so it is sent when written."""

from __future__ import annotations

import asyncpg
import pytest

from activities.channels import by_name
from activities.channels.log import LogChannel
from activities.messages import MessageActivities
from tests.integration.helpers import send_input, uid

pytestmark = pytest.mark.integration


async def test_log_message_has_sent_at(pool: asyncpg.Pool) -> None:
    tpl, profile = uid("tpl"), uid("p")
    await pool.execute("INSERT INTO templates (name, channel, body) VALUES ($1, 'log', 'hi')", tpl)
    await pool.execute("INSERT INTO profiles (profile_id) VALUES ($1)", profile)
    acts = MessageActivities(pool, by_name(LogChannel()))
    inp = send_input("log", tpl, profile)
    result = await acts.send_message(inp)
    assert result.status == "sent"
    row = await pool.fetchrow(
        "SELECT status, sent_at, created_at FROM messages WHERE message_id = $1", inp.message_id
    )
    assert row["status"] == "sent"
    assert row["sent_at"] is not None and row["sent_at"] >= row["created_at"]
