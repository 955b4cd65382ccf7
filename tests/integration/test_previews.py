"""Previews and proofs through a real worker: every part as the channel sends it (layout,
tracked links, SMS segments, FCM bodies), and proofs recorded as such, outside caps and
reports."""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email.message import EmailMessage
from functools import partial
from typing import Any

import asyncpg
import httpx
import pytest
from aiosmtpd.controller import Controller
from fastapi import FastAPI
from pydantic import SecretStr
from temporalio.client import Client

from activities.channels import by_name
from activities.channels.email import EmailChannel, SmtpConfig
from activities.messages import MessageActivities
from api.app import create_app
from core.settings import Settings
from core.signing import read_tracking_token
from services.previews import worker_polls
from tests.integration import helpers
from tests.integration.helpers import eventually, uid
from workers.embedded import free_port
from workers.worker import running

pytestmark = pytest.mark.integration

SECRET = "preview-secret"
PUBLIC = "http://wayline"
Headers = dict[str, str]


class Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        self.messages.append(msg)
        return "250 Message accepted"


@dataclass
class Stack:
    api: httpx.AsyncClient
    inbox: Inbox
    settings: Settings
    layout: str


@pytest.fixture
async def stack(settings: Settings, app: FastAPI, temporal_client: Client) -> AsyncIterator[Stack]:
    """An API and a worker of their own task queue, signing links, sending to aiosmtpd (the
    session's `app` made the admin key); yielded once the worker polls its queue, as a
    preview refuses with 503 before (a loaded machine starts it late)."""
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    layout = uid("layout")
    mine = settings.model_copy(
        update={
            "task_queue": uid("previews"),
            "signing_secret": SecretStr(SECRET),
            "public_url": PUBLIC,
            "smtp_port": port,
            "email_layout": layout,
        }
    )
    api = create_app(mine)
    try:
        async with api.router.lifespan_context(api), running(mine, dispatch=False):
            await eventually(partial(worker_polls, temporal_client, mine.task_queue))
            transport = httpx.ASGITransport(app=api)
            async with httpx.AsyncClient(transport=transport, base_url=PUBLIC) as client:
                yield Stack(client, inbox, mine, layout)
    finally:
        controller.stop()


async def put(api: httpx.AsyncClient, headers: Headers, kind: str, name: str, **body: Any) -> None:
    resp = await api.put(f"/v1/{kind}/{name}", json=body, headers=headers)
    assert resp.is_success, resp.text


async def email_setup(stack: Stack, h: Headers) -> tuple[str, str]:
    """A layout with a footer fragment, a template with a French variant, a French profile."""
    footer, tpl, pid = uid("footer"), uid("tpl"), uid("p")
    await put(stack.api, h, "fragments", footer, body="Shop Inc.", locales={"fr": "Boutique SA"})
    inc = f'{{% include "{footer}" %}}'
    await put(
        stack.api,
        h,
        "templates",
        stack.layout,
        channel="email",
        body="{{ content }}\n" + inc,
        html="<html><body>{{ content }}<footer>" + inc + "</footer></body></html>",
        locales={
            "fr": {
                "body": "{{ content }}\nMerci !\n" + inc,
                "html": "<html><body>{{ content }}<footer>Merci ! "
                + inc
                + "</footer></body></html>",
            }
        },
    )
    await put(
        stack.api,
        h,
        "templates",
        tpl,
        channel="email",
        subject="Cart: {{ event.properties.total }}",
        body="Total {{ event.properties.total }}",
        html='<p><a href="https://shop.example/cart">Cart</a></p>',
        topic="news",
        locales={
            "fr": {
                "subject": "Panier : {{ event.properties.total }}",
                "body": "Total {{ event.properties.total }} €",
                "html": '<p><a href="https://shop.example/panier">Panier</a></p>',
            }
        },
    )
    body = {"email": f"{pid}@example.com", "attributes": {"locale": "fr-CA"}}
    resp = await stack.api.put(f"/v1/profiles/{pid}", json=body, headers=h)
    assert resp.is_success, resp.text
    return tpl, pid


async def test_an_email_preview_is_what_the_channel_sends(
    stack: Stack, admin_headers: Headers
) -> None:
    h = admin_headers
    tpl, pid = await email_setup(stack, h)
    resp = await stack.api.post(
        f"/v1/templates/{tpl}/preview",
        json={"profile_id": pid, "event": {"name": "cart.updated", "properties": {"total": 42}}},
        headers=h,
    )
    assert resp.status_code == 200, resp.text
    got = resp.json()
    assert (got["channel"], got["locale"], got["recipient"]) == (
        "email",
        "fr",
        f"{pid}@example.com",
    )
    assert got["subject"] == "Panier : 42"
    assert got["body"] == "Total 42 €\nMerci !\nBoutique SA", "the layout's variant too"
    assert got["unsubscribe_url"].startswith(f"{PUBLIC}/v1/unsubscribe?token=")
    # the link is tracked, for this preview's message id, and the open pixel added
    [href] = re.findall(r'<a href="([^"]+)"', got["html"])
    assert href.startswith(f"{PUBLIC}/v1/t/click?token=")
    tracked = read_tracking_token(SECRET, href.split("token=", 1)[1].replace("&amp;", "&"))
    assert tracked is not None and tracked.url == "https://shop.example/panier"
    assert (tracked.message_id, tracked.profile_id) == (got["message_id"], pid)
    assert got["message_id"].startswith("preview:")
    assert f'src="{PUBLIC}/v1/t/open?token=' in got["html"]
    assert "<footer>Merci ! Boutique SA</footer>" in got["html"]
    assert (got["sms"], got["push"], got["webhook"]) == (None, None, None)
    assert stack.inbox.messages == [], "a preview sends nothing"
    ledger = (await stack.api.get("/v1/messages", params={"profile_id": pid}, headers=h)).json()
    assert ledger["items"] == [], "nor writes the ledger"


async def test_sms_and_push_previews_with_an_inline_profile(
    stack: Stack, admin_headers: Headers
) -> None:
    h = admin_headers
    sms, push = uid("sms"), uid("push")
    await put(
        stack.api,
        h,
        "templates",
        sms,
        channel="sms",
        body="Bonjour {{ profile.attributes.name }} " + "ő" * 70,
    )
    await put(stack.api, h, "templates", push, channel="push", subject="Hi", body="{{ vars.code }}")
    inline = {"profile_id": "guest", "phone": "+33612345678", "attributes": {"name": "Zoé"}}
    resp = await stack.api.post(f"/v1/templates/{sms}/preview", json={"profile": inline}, headers=h)
    assert resp.status_code == 200, resp.text
    got = resp.json()
    assert got["recipient"] == "+33612345678"
    assert got["sms"] == {"segments": 2, "encoding": "UCS-2", "units": 82}
    inline = {"attributes": {"push_tokens": ["dev-1", "dev-2"]}}
    resp = await stack.api.post(
        f"/v1/templates/{push}/preview", json={"profile": inline, "vars": {"code": "X1"}}, headers=h
    )
    assert resp.status_code == 200, resp.text
    got = resp.json()
    assert got["push"] == [
        {
            "message": {
                "token": device,
                "notification": {"body": "X1", "title": "Hi"},
                "data": {"message_id": got["message_id"]},
            }
        }
        for device in ("dev-1", "dev-2")
    ]


async def test_preview_refusals(stack: Stack, admin_headers: Headers, make_key: Any) -> None:
    h = admin_headers
    tpl = uid("tpl")
    await put(stack.api, h, "templates", tpl, channel="log", body="{{ profile.attributes.plan }}")
    url = f"/v1/templates/{tpl}/preview"
    resp = await stack.api.post(url, json={"profile": {}}, headers=h)
    assert resp.status_code == 422, resp.text
    [problem] = resp.json()["fields"]
    assert problem["field"] == "template" and "plan" in problem["message"]
    resp = await stack.api.post(url, json={"profile_id": uid("nobody")}, headers=h)
    assert resp.status_code == 404, resp.text
    resp = await stack.api.post(url, json={}, headers=h)
    assert resp.status_code == 422, resp.text
    resp = await stack.api.post(
        f"/v1/templates/{uid('none')}/preview", json={"profile": {}}, headers=h
    )
    assert resp.status_code == 404, resp.text
    resp = await stack.api.post(url, json={"profile": {}}, headers=await make_key("events:write"))
    assert resp.status_code == 403, resp.text


async def test_proofs_are_sent_recorded_and_left_out_of_caps_and_reports(
    stack: Stack, admin_headers: Headers, pool: asyncpg.Pool
) -> None:
    h = admin_headers
    tpl, pid = await email_setup(stack, h)
    stack.inbox.refuse.add("gone@example.com")
    before = await alert_totals(pool)
    resp = await stack.api.put(
        "/v1/frequency-caps/email", json={"max_messages": 1, "window": "P1D"}, headers=h
    )
    assert resp.is_success, resp.text
    try:
        resp = await stack.api.post(
            f"/v1/templates/{tpl}/proofs",
            json={
                "profile_id": pid,
                "event": {"properties": {"total": 7}},
                "to": ["qa@example.com", "gone@example.com"],
            },
            headers=h,
        )
        assert resp.status_code == 202, resp.text
        proofs = resp.json()
        assert proofs["proof_id"].startswith("proof:")
        assert proofs["messages"] == [
            {"message_id": f"{proofs['proof_id']}:0", "to": "qa@example.com"},
            {"message_id": f"{proofs['proof_id']}:1", "to": "gone@example.com"},
        ]

        async def settled() -> list[dict[str, Any]]:
            resp = await stack.api.get("/v1/messages", params={"profile_id": pid}, headers=h)
            rows = resp.json()["items"]
            return (
                rows if {r["status"] for r in rows} <= {"sent", "failed"} and len(rows) == 2 else []
            )

        rows = {r["recipient"]: r for r in await eventually(settled, 60)}
        qa, gone = rows["qa@example.com"], rows["gone@example.com"]
        assert (qa["status"], qa["proof"], qa["locale"], qa["subject"]) == (
            "sent",
            True,
            "fr",
            "Panier : 7",
        )
        assert (qa["journey_id"], qa["template"]) == (None, tpl)
        assert gone["status"] == "failed" and "no such user" in gone["error"]
        [mail] = stack.inbox.messages
        assert mail["To"] == "qa@example.com" and mail["Subject"] == "Panier : 7"
        assert (
            await pool.fetchval(
                "SELECT count(*) FROM suppressions WHERE address = 'gone@example.com'"
            )
            == 0
        ), "a proof's bounce suppresses nobody"
        # the cap of 1 email a day is not used up by the proofs: a real send goes out
        channel = EmailChannel(SmtpConfig(port=stack.settings.smtp_port))
        try:
            acts = MessageActivities(pool, by_name(channel))
            result = await acts.send_message(helpers.send_input("email", tpl, pid, total=7))
        finally:
            await channel.close()
        assert result.status == "sent", result
        assert await alert_totals(pool) == before + 1, "the alerts see the real send only"
    finally:
        await stack.api.delete("/v1/frequency-caps/email", headers=h)


async def alert_totals(pool: asyncpg.Pool) -> int:
    rows = await pool.fetch("SELECT * FROM (" + ALERT_SAMPLES + ") s WHERE scope = 'channel:email'")
    return sum(r["total"] for r in rows)


def _alert_samples() -> str:
    from db.sql import q

    return q("alert_samples").replace("$1", "3600.0")


ALERT_SAMPLES = _alert_samples()


async def test_proof_refusals(stack: Stack, admin_headers: Headers) -> None:
    h = admin_headers
    tpl, pid = await email_setup(stack, h)
    url = f"/v1/templates/{tpl}/proofs"
    resp = await stack.api.post(
        url, json={"profile_id": pid, "to": ["ok@example.com", "nope"]}, headers=h
    )
    assert resp.status_code == 422, resp.text
    assert [f["field"] for f in resp.json()["fields"]] == ["to[1]"]
    resp = await stack.api.post(url, json={"profile_id": pid, "to": []}, headers=h)
    assert resp.status_code == 422 and resp.json()["fields"][0]["field"] == "to"
    log = uid("tpl")
    await put(stack.api, h, "templates", log, channel="log", body="x")
    resp = await stack.api.post(
        f"/v1/templates/{log}/proofs", json={"profile_id": pid, "to": ["a@example.com"]}, headers=h
    )
    assert resp.status_code == 422, resp.text
    assert resp.json()["fields"][0]["field"] == "to"


async def test_a_preview_without_a_worker_is_unavailable_at_once(
    settings: Settings, app: FastAPI, admin_headers: Headers
) -> None:
    lonely = create_app(settings.model_copy(update={"task_queue": uid("nobody-polls")}))
    async with lonely.router.lifespan_context(lonely):
        transport = httpx.ASGITransport(app=lonely)
        async with httpx.AsyncClient(transport=transport, base_url=PUBLIC) as api:
            tpl = uid("tpl")
            await put(api, admin_headers, "templates", tpl, channel="log", body="hi")
            url = f"/v1/templates/{tpl}/preview"
            resp = await api.post(url, json={"profile": {}}, headers=admin_headers)
    assert resp.status_code == 503, resp.text
    assert "no worker polls task queue" in resp.json()["message"]


async def test_a_campaign_template_previews_with_its_campaign(
    stack: Stack, admin_headers: Headers
) -> None:
    tpl = uid("tpl")
    body = "{{ campaign.name }} for {{ profile.profile_id }} ({{ profile.locale }})"
    await put(stack.api, admin_headers, "templates", tpl, channel="in_app", subject="Hi", body=body)
    resp = await stack.api.post(
        f"/v1/templates/{tpl}/preview",
        json={
            "profile": {"profile_id": "zoe", "attributes": {"locale": "pt-BR"}},
            "campaign": {"id": "spring", "name": "Spring sale", "run": "r1"},
        },
        headers=admin_headers,
    )
    assert resp.status_code == 200, resp.text
    got = resp.json()
    assert (got["subject"], got["body"], got["recipient"]) == (
        "Hi",
        "Spring sale for zoe (pt-BR)",
        "zoe",
    )
    assert got["locale"] == "default"
