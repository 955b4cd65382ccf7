"""The rules every send obeys: consent, suppression and frequency caps, checked in the send
activity before the provider call and recorded in the ledger with their reason."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from activities.channels import by_name
from activities.channels.webhook import WebhookChannel
from activities.messages import MessageActivities
from contacts.send_rules import SendFacts, skip_reason
from core.contracts import SendInput
from core.settings import Settings
from tests.integration import helpers
from tests.integration.helpers import event, publish, uid
from tests.integration.provider import FakeProvider
from workers.router import Registry, Router
from workers.worker import running

pytestmark = pytest.mark.integration

Api = httpx.AsyncClient
Headers = dict[str, str]


def send_input(template: str, profile: str, channel: str = "webhook") -> SendInput:
    return helpers.send_input(channel, template, profile, journey="rules")


async def put_template(api: Api, headers: Headers, **fields: Any) -> str:
    name = uid("tpl")
    body = {"channel": "webhook", "subject": "Hi", "body": "Hello {{ profile.profile_id }}"}
    resp = await api.put(f"/v1/templates/{name}", json={**body, **fields}, headers=headers)
    assert resp.status_code == 201, resp.text
    return name


async def put_profile(api: Api, headers: Headers) -> tuple[str, str]:
    profile = uid("p")
    email = f"{profile}@example.com"
    resp = await api.put(f"/v1/profiles/{profile}", json={"email": email}, headers=headers)
    assert resp.status_code == 201, resp.text
    return profile, email


async def ledger(api: Api, headers: Headers, profile: str) -> list[dict[str, Any]]:
    resp = await api.get("/v1/messages", params={"profile_id": profile}, headers=headers)
    assert resp.status_code == 200, resp.text
    items: list[dict[str, Any]] = resp.json()["items"]
    return items


@pytest.fixture
async def provider() -> AsyncIterator[FakeProvider]:
    with FakeProvider() as fake:
        yield fake


@pytest.fixture
async def acts(pool: asyncpg.Pool, provider: FakeProvider) -> AsyncIterator[MessageActivities]:
    async with httpx.AsyncClient() as http:
        yield MessageActivities(pool, by_name(WebhookChannel(http, provider.url)))


@pytest.fixture
async def webhook_cap(api_client: Api, admin_headers: Headers) -> AsyncIterator[None]:
    """A cap of 1 webhook marketing message per day per profile, removed afterwards."""
    resp = await api_client.put(
        "/v1/frequency-caps/webhook",
        json={"max_messages": 1, "window": "P1D"},
        headers=admin_headers,
    )
    assert resp.status_code in (200, 201), resp.text
    assert resp.json()["window"] == "P1D"
    try:
        yield
    finally:
        await api_client.delete("/v1/frequency-caps/webhook", headers=admin_headers)


def test_skip_reason_order() -> None:
    base = SendFacts(channel="email", topic="news", transactional=False)
    assert skip_reason(base) is None
    assert skip_reason(SendFacts(**{**base.__dict__, "suppressed": "complaint"})) == (
        "suppressed address (complaint)"
    )
    assert skip_reason(SendFacts(**{**base.__dict__, "channel_unsubscribed": True})) == (
        "unsubscribed from email"
    )
    assert skip_reason(SendFacts(**{**base.__dict__, "topic_unsubscribed": True})) == (
        "unsubscribed from email topic 'news'"
    )
    capped = {**base.__dict__, "cap_max": 3, "cap_period": timedelta(days=7), "cap_used": 3}
    assert skip_reason(SendFacts(**capped)) == "frequency cap: 3 per 7d"
    assert skip_reason(SendFacts(**{**capped, "cap_used": 2})) is None
    transactional = {**capped, "transactional": True, "channel_unsubscribed": True}
    assert skip_reason(SendFacts(**transactional)) is None
    assert skip_reason(SendFacts(**{**transactional, "suppressed": "manual"})) is not None


async def test_template_fields_round_trip(api_client: Api, admin_headers: Headers) -> None:
    name = await put_template(api_client, admin_headers, topic="news", transactional=True)
    resp = await api_client.get(f"/v1/templates/{name}", headers=admin_headers)
    body = resp.json()
    assert body["topic"] == "news" and body["transactional"] is True and body["html"] is None
    bad = await api_client.put(
        f"/v1/templates/{name}",
        json={"channel": "email", "body": "x", "html": "{{ oops"},
        headers=admin_headers,
    )
    assert bad.status_code == 422 and bad.json()["fields"][0]["field"] == "html"


async def test_subscriptions_api(api_client: Api, admin_headers: Headers) -> None:
    profile, _ = await put_profile(api_client, admin_headers)
    url = f"/v1/profiles/{profile}/subscriptions"
    assert (await api_client.get(url, headers=admin_headers)).json()["items"] == []
    subs = [
        {"channel": "email", "topic": None, "status": "subscribed"},
        {"channel": "email", "topic": "news", "status": "unsubscribed"},
    ]
    resp = await api_client.put(url, json=subs, headers=admin_headers)
    assert resp.status_code == 200, resp.text
    again = [{"channel": "email", "topic": "news", "status": "subscribed"}]
    resp = await api_client.put(url, json=again, headers=admin_headers)
    got = [(s["channel"], s["topic"], s["status"]) for s in resp.json()["items"]]
    assert got == [("email", None, "subscribed"), ("email", "news", "subscribed")]
    bad = await api_client.put(
        url, json=[{"channel": "fax", "status": "subscribed"}], headers=admin_headers
    )
    assert bad.status_code == 422


async def test_unsubscribed_topic_and_channel_skip_marketing_only(
    api_client: Api, admin_headers: Headers, acts: MessageActivities, provider: FakeProvider
) -> None:
    profile, _ = await put_profile(api_client, admin_headers)
    news = await put_template(api_client, admin_headers, topic="news")
    other = await put_template(api_client, admin_headers, topic="tips")
    receipt = await put_template(api_client, admin_headers, topic="news", transactional=True)
    url = f"/v1/profiles/{profile}/subscriptions"
    unsub = [{"channel": "webhook", "topic": "news", "status": "unsubscribed"}]
    assert (await api_client.put(url, json=unsub, headers=admin_headers)).status_code == 200

    skipped = await acts.send_message(send_input(news, profile))
    assert skipped.status == "skipped"
    assert skipped.reason == "unsubscribed from webhook topic 'news'"
    assert (await acts.send_message(send_input(other, profile))).status == "sent"
    assert (await acts.send_message(send_input(receipt, profile))).status == "sent"

    whole = [{"channel": "webhook", "topic": None, "status": "unsubscribed"}]
    assert (await api_client.put(url, json=whole, headers=admin_headers)).status_code == 200
    assert (await acts.send_message(send_input(other, profile))).reason == (
        "unsubscribed from webhook"
    )
    assert (await acts.send_message(send_input(receipt, profile))).status == "sent"

    assert len(provider.requests) == 3
    rows = await ledger(api_client, admin_headers, profile)
    reasons = sorted((r["status"], r["reason"] or "") for r in rows)
    assert reasons == [
        ("sent", ""),
        ("sent", ""),
        ("sent", ""),
        ("skipped", "unsubscribed from webhook"),
        ("skipped", "unsubscribed from webhook topic 'news'"),
    ]


async def test_suppressed_address_is_never_sent_to(
    api_client: Api, admin_headers: Headers, acts: MessageActivities, provider: FakeProvider
) -> None:
    profile, email = await put_profile(api_client, admin_headers)
    receipt = await put_template(api_client, admin_headers, transactional=True)
    body = {"channel": "webhook", "address": email.upper(), "reason": "complaint"}
    resp = await api_client.post("/v1/suppressions", json=body, headers=admin_headers)
    assert resp.status_code == 201 and resp.json()["address"] == email, resp.text
    listed = await api_client.get(
        "/v1/suppressions", params={"address": email}, headers=admin_headers
    )
    assert [s["reason"] for s in listed.json()["items"]] == ["complaint"]

    result = await acts.send_message(send_input(receipt, profile))
    assert result.status == "skipped" and result.reason == "suppressed address (complaint)"
    assert provider.requests == []

    resp = await api_client.delete(f"/v1/suppressions/webhook/{email}", headers=admin_headers)
    assert resp.status_code == 204
    assert (await acts.send_message(send_input(receipt, profile))).status == "sent"
    gone = await api_client.delete(f"/v1/suppressions/webhook/{email}", headers=admin_headers)
    assert gone.status_code == 404


async def test_frequency_cap_api(api_client: Api, admin_headers: Headers) -> None:
    bad = await api_client.put(
        "/v1/frequency-caps/webhook",
        json={"max_messages": 1, "window": "P1M"},
        headers=admin_headers,
    )
    assert bad.status_code == 422
    unknown = await api_client.put(
        "/v1/frequency-caps/fax", json={"max_messages": 1, "window": "P1D"}, headers=admin_headers
    )
    assert unknown.status_code == 422
    assert (
        await api_client.get("/v1/frequency-caps/webhook", headers=admin_headers)
    ).status_code == 404


async def test_frequency_cap_race_lets_exactly_cap_through(
    api_client: Api,
    admin_headers: Headers,
    acts: MessageActivities,
    provider: FakeProvider,
    webhook_cap: None,
) -> None:
    marketing = await put_template(api_client, admin_headers)
    receipt = await put_template(api_client, admin_headers, transactional=True)
    for _ in range(3):
        profile, _ = await put_profile(api_client, admin_headers)
        inputs = [send_input(marketing, profile) for _ in range(4)]
        results = await asyncio.gather(*(acts.send_message(i) for i in inputs))
        assert sorted(r.status for r in results) == ["sent", "skipped", "skipped", "skipped"]
        assert {r.reason for r in results if r.status == "skipped"} == {"frequency cap: 1 per 1d"}
        # a retry of a skipped send stays skipped; a transactional one is not capped
        assert (await acts.send_message(inputs[0])).status == results[0].status
        assert (await acts.send_message(send_input(receipt, profile))).status == "sent"
        rows = await ledger(api_client, admin_headers, profile)
        assert sum(r["status"] == "sent" for r in rows) == 2
    assert len(provider.requests) == 6


def capped_journey(jid: str, template: str, entry: str) -> dict[str, Any]:
    hello = {"type": "message", "channel": "webhook", "template": template, "next": "done"}
    return {
        "id": jid,
        "name": jid,
        "entry": {"event": entry},
        "start": "hello",
        "nodes": {"hello": hello, "done": {"type": "end"}},
    }


async def test_two_journeys_at_the_same_instant_cap_one(
    settings: Settings,
    pool: asyncpg.Pool,
    api_client: Api,
    admin_headers: Headers,
    provider: FakeProvider,
    webhook_cap: None,
) -> None:
    """Two journeys entered by one event send to one profile at once: cap 1, one message."""
    queue = uid("cap")
    jids = [uid("rush-a"), uid("rush-b")]
    tpl, entry = uid("tpl-rush"), uid("rush")
    for jid in jids:
        await publish(pool, capped_journey(jid, tpl, entry), tpl, channel="webhook")
    profile, _ = await put_profile(api_client, admin_headers)
    mine = settings.model_copy(update={"task_queue": queue, "webhook_url": provider.url})
    async with running(mine, dispatch=False) as rt:
        router = Router(rt.client, queue)
        router.registry = await Registry.load(pool)
        await router.route(event(entry, profile), None)
        for jid in jids:
            handle = rt.client.get_workflow_handle(f"journey:{jid}:{profile}")
            assert await asyncio.wait_for(handle.result(), 60) == "completed"
    await pool.execute("UPDATE journeys SET status = 'stopped' WHERE journey_id = ANY($1)", jids)
    rows = await ledger(api_client, admin_headers, profile)
    assert sorted(r["status"] for r in rows) == ["sent", "skipped"]
    assert [r["reason"] for r in rows if r["status"] == "skipped"] == ["frequency cap: 1 per 1d"]
    assert len(provider.requests) == 1
