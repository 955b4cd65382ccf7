"""The send activity against a real local HTTP provider and the real message ledger."""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid

import asyncpg
import httpx
import pytest
from temporalio.exceptions import ApplicationError

from activities.channels import by_name
from activities.channels.base import Channel
from activities.channels.webhook import WebhookChannel
from activities.messages import MessageActivities
from core.contracts import SendInput
from core.signing import SIGNATURE_HEADER, canonical_json, verify_webhook
from tests.integration import helpers
from tests.integration.provider import FakeProvider

pytestmark = pytest.mark.integration


def webhook(
    http: httpx.AsyncClient, url: str | None, secret: str | None = None
) -> dict[str, Channel]:
    return by_name(WebhookChannel(http, url, secret))


def send_input(template: str, channel: str = "webhook") -> SendInput:
    return helpers.send_input(channel, template, f"p-{uuid.uuid4().hex[:6]}", total=7)


@pytest.fixture
async def template(pool: asyncpg.Pool) -> str:
    name = f"hook-{uuid.uuid4().hex[:6]}"
    await pool.execute(
        "INSERT INTO templates (name, channel, subject, body) VALUES "
        "($1, 'webhook', 'Total', 'total={{ event.properties.total }}')",
        name,
    )
    return name


async def ledger(pool: asyncpg.Pool, message_id: str) -> asyncpg.Record:
    row = await pool.fetchrow("SELECT * FROM messages WHERE message_id = $1", message_id)
    assert row is not None
    return row


async def test_retryable_failure_then_success_sends_one_id(
    pool: asyncpg.Pool, template: str
) -> None:
    with FakeProvider() as provider:
        async with httpx.AsyncClient() as http:
            acts = MessageActivities(pool, webhook(http, provider.url))
            inp = send_input(template)
            provider.status = 503
            with pytest.raises(ApplicationError):
                await acts.send_message(inp)
            assert (await ledger(pool, inp.message_id))["status"] == "sending"
            provider.status = 200
            result = await acts.send_message(inp)
            again = await acts.send_message(inp)
    assert result.status == "sent" and again.status == "sent"
    assert len(provider.requests) == 2, "the finished send is not sent a third time"
    assert {key for key, _ in provider.requests} == {inp.message_id}
    body = provider.requests[-1][1]
    assert body["body"] == "total=7" and body["subject"] == "Total"
    row = await ledger(pool, inp.message_id)
    assert row["status"] == "sent" and row["attempts"] == 3 and row["body"] == "total=7"


async def test_client_error_is_final_and_recorded(pool: asyncpg.Pool, template: str) -> None:
    with FakeProvider() as provider:
        provider.status = 400
        async with httpx.AsyncClient() as http:
            inp = send_input(template)
            result = await MessageActivities(pool, webhook(http, provider.url)).send_message(inp)
    assert result.status == "failed" and "400" in (result.error or "")
    row = await ledger(pool, inp.message_id)
    assert row["status"] == "failed" and "400" in row["error"]


async def test_missing_template_fails_without_sending(pool: asyncpg.Pool) -> None:
    async with httpx.AsyncClient() as http:
        inp = send_input("no-such-template", channel="log")
        result = await MessageActivities(pool, webhook(http, None)).send_message(inp)
    assert result.status == "failed" and "does not exist" in (result.error or "")
    assert (await ledger(pool, inp.message_id))["status"] == "failed"


async def test_body_is_signed_like_stripe(pool: asyncpg.Pool, template: str) -> None:
    secret = "whsec_test_0123456789"
    with FakeProvider() as provider:
        async with httpx.AsyncClient() as http:
            acts = MessageActivities(pool, webhook(http, provider.url, secret))
            inp = send_input(template)
            assert (await acts.send_message(inp)).status == "sent"
    header = provider.headers[0][SIGNATURE_HEADER]
    t, v1 = (part.split("=", 1)[1] for part in header.split(","))
    assert abs(int(t) - time.time()) < 60
    body = canonical_json(provider.requests[0][1])  # the bytes sent: canonical JSON
    expected = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    assert v1 == expected
    assert verify_webhook(secret, header, body)
    assert not verify_webhook("other-secret", header, body)
    assert not verify_webhook(secret, header, body + b" ")
    assert not verify_webhook(secret, header, body, now=int(t) + 3600), "replay window"


async def test_unsigned_without_secret(pool: asyncpg.Pool, template: str) -> None:
    with FakeProvider() as provider:
        async with httpx.AsyncClient() as http:
            await MessageActivities(pool, webhook(http, provider.url)).send_message(
                send_input(template)
            )
    assert SIGNATURE_HEADER not in provider.headers[0]
