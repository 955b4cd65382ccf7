"""Email over SMTP against a real SMTP server (aiosmtpd) started in the test: the MIME that
arrives, connection reuse, bounces, and the signed unsubscribe link end to end."""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
import threading
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest
from aiosmtpd.controller import Controller
from pydantic import SecretStr

from activities.channels import by_name
from activities.channels.base import ChannelError, Delivery, Rendered
from activities.channels.email import EmailChannel, SmtpConfig
from activities.channels.links import Links
from activities.messages import MessageActivities
from api.app import create_app
from core.contracts import SendInput
from core.settings import Settings
from core.signing import UnsubscribeScope, unsubscribe_token
from journeys.model import Event
from tests.integration import helpers
from tests.integration.helpers import event, publish, uid
from workers.embedded import free_port
from workers.router import Registry, Router
from workers.worker import running

pytestmark = pytest.mark.integration

SECRET = "unsubscribe-secret-for-tests"
PUBLIC = "http://wayline"
Api = httpx.AsyncClient
Headers = dict[str, str]


class Inbox:
    """An aiosmtpd handler keeping every message; addresses in `refuse` get a 550."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse: set[str] = set()
        self.arrived = threading.Event()

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
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.arrived.set()
        return "250 Message accepted"


class SmtpServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.inbox = Inbox()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=port)

    def restart(self) -> None:
        """Drop every connection, as a server restart does; the inbox is kept."""
        self.controller.stop()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer(free_port())
    server.controller.start()
    try:
        yield server
    finally:
        server.controller.stop()


@pytest.fixture
async def channel(smtp: SmtpServer) -> AsyncIterator[EmailChannel]:
    config = SmtpConfig(
        port=smtp.port,
        sender="Wayline Shop <shop@wayline.test>",
        unsubscribe_mailto="unsubscribe@wayline.test",
        pool_size=2,
    )
    chan = EmailChannel(config)
    try:
        yield chan
    finally:
        await chan.close()


@pytest.fixture
async def layout(api_client: Api, admin_headers: Headers) -> str:
    name = uid("layout")
    body = {
        "channel": "email",
        "body": "{{ content }}\n--\nUnsubscribe: {{ unsubscribe_url }}",
        "html": "<html><body><main>{{ content }}</main>"
        '<footer><a href="{{ unsubscribe_url }}">Unsubscribe</a></footer></body></html>',
    }
    resp = await api_client.put(f"/v1/templates/{name}", json=body, headers=admin_headers)
    assert resp.status_code == 201, resp.text
    return name


@pytest.fixture
async def acts(
    pool: asyncpg.Pool, channel: EmailChannel, layout: str
) -> AsyncIterator[MessageActivities]:
    email = EmailChannel(
        channel.config, links=Links(SECRET, PUBLIC), layout=layout, smtp=channel.pool
    )
    yield MessageActivities(pool, by_name(email))


@pytest.fixture
async def signed_api(settings: Settings, migrated: None) -> AsyncIterator[Api]:
    """The API of a deployment that signs unsubscribe links with SECRET."""
    app = create_app(settings.model_copy(update={"signing_secret": SecretStr(SECRET)}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=PUBLIC) as client:
            yield client


async def email_template(api: Api, headers: Headers, **fields: Any) -> str:
    name = uid("mail")
    body = {
        "channel": "email",
        "subject": "Hello {{ profile.attributes.first_name }}",
        "body": "Hi {{ profile.attributes.first_name }}, your cart: {{ event.properties.total }}",
        "html": "<p>Hi <b>{{ profile.attributes.first_name }}</b></p>",
        "topic": "promotions",
    }
    resp = await api.put(f"/v1/templates/{name}", json={**body, **fields}, headers=headers)
    assert resp.status_code == 201, resp.text
    return name


async def profile_with_email(api: Api, headers: Headers, email_address: bool = True) -> str:
    profile = uid("p")
    body: dict[str, Any] = {"attributes": {"first_name": "Ada <3"}}
    if email_address:
        body["email"] = f"{profile}@example.com"
    resp = await api.put(f"/v1/profiles/{profile}", json=body, headers=headers)
    assert resp.status_code == 201, resp.text
    return profile


def send_input(template: str, profile: str) -> SendInput:
    return helpers.send_input("email", template, profile, journey="mail", total=42)


def delivery(message_id: str) -> Delivery:
    return Delivery(message_id, "email", "p-direct")


def unsubscribe_link(msg: EmailMessage) -> str:
    header = str(msg["List-Unsubscribe"])
    links = re.findall(r"<([^>]+)>", header)
    https = [link for link in links if link.startswith(PUBLIC)]
    assert len(https) == 1, header
    return https[0]


async def test_mime_parts_headers_and_layout(
    api_client: Api, admin_headers: Headers, acts: MessageActivities, smtp: SmtpServer
) -> None:
    profile = await profile_with_email(api_client, admin_headers)
    tpl = await email_template(api_client, admin_headers)
    inp = send_input(tpl, profile)
    result = await acts.send_message(inp)
    assert result.status == "sent", result
    [msg] = smtp.inbox.messages
    assert smtp.inbox.envelopes == [("shop@wayline.test", [f"{profile}@example.com"])]
    assert msg["From"] == "Wayline Shop <shop@wayline.test>"
    assert msg["To"] == f"{profile}@example.com"
    assert msg["Subject"] == "Hello Ada <3"
    assert msg["Message-ID"] == f"<{inp.message_id}@wayline.test>"
    assert msg["X-Wayline-Message-Id"] == inp.message_id
    assert msg.get_content_type() == "multipart/alternative"
    text_part, html_part = msg.iter_parts()
    assert text_part.get_content_type() == "text/plain"
    assert html_part.get_content_type() == "text/html"
    text, html = (part.get_content().replace("\r\n", "\n") for part in (text_part, html_part))
    link = unsubscribe_link(msg)
    assert text.startswith("Hi Ada <3, your cart: 42\n--\nUnsubscribe: ")
    assert link in text
    # the layout wraps the (escaped) HTML part, its link escaped as an attribute
    assert "<main><p>Hi <b>Ada &lt;3</b></p></main>" in html
    assert f'href="{link}"' in html
    assert "<mailto:unsubscribe@wayline.test?subject=unsubscribe>" in msg["List-Unsubscribe"]
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    token = link.split("token=", 1)[1]
    assert token == unsubscribe_token(SECRET, UnsubscribeScope(profile, "email", "promotions"))
    # a retried activity finds the sent row: no second email
    assert (await acts.send_message(inp)).status == "sent"
    assert len(smtp.inbox.messages) == 1


async def test_text_only_template_is_a_single_part(
    api_client: Api,
    admin_headers: Headers,
    pool: asyncpg.Pool,
    channel: EmailChannel,
    smtp: SmtpServer,
) -> None:
    profile = await profile_with_email(api_client, admin_headers)
    tpl = await email_template(api_client, admin_headers, html=None, topic=None)
    acts = MessageActivities(pool, by_name(channel))  # no layout, no signing secret: no link
    assert (await acts.send_message(send_input(tpl, profile))).status == "sent"
    [msg] = smtp.inbox.messages
    assert msg.get_content_type() == "text/plain"
    assert msg.get_content().replace("\r\n", "\n") == "Hi Ada <3, your cart: 42\n"
    # without a signing secret only the mailto remains, and no one-click (it needs https)
    assert msg["List-Unsubscribe"] == "<mailto:unsubscribe@wayline.test?subject=unsubscribe>"
    assert msg["List-Unsubscribe-Post"] is None


async def test_connections_are_reused_and_replaced(
    api_client: Api,
    admin_headers: Headers,
    acts: MessageActivities,
    channel: EmailChannel,
    smtp: SmtpServer,
) -> None:
    profile = await profile_with_email(api_client, admin_headers)
    tpl = await email_template(api_client, admin_headers)
    for _ in range(5):
        assert (await acts.send_message(send_input(tpl, profile))).status == "sent"
    assert channel.pool.connects == 1, "one connection serves sequential sends"
    results = await asyncio.gather(*(acts.send_message(send_input(tpl, profile)) for _ in range(6)))
    assert {r.status for r in results} == {"sent"}
    assert channel.pool.connects <= 2, "the pool never opens more than its size"
    await asyncio.to_thread(smtp.restart)  # every pooled connection is now dead
    assert (await acts.send_message(send_input(tpl, profile))).status == "sent"
    assert len(smtp.inbox.messages) == 12


async def test_a_refused_recipient_leaves_the_connection_usable(
    channel: EmailChannel, smtp: SmtpServer
) -> None:
    """The refused envelope is reset, so the next email goes out on the same connection."""
    smtp.inbox.refuse.add("gone@example.com")
    body = Rendered(recipient="gone@example.com", subject="Hi", body="Hello")
    with pytest.raises(ChannelError, match="550") as caught:
        await channel.send(delivery("m-gone"), body)
    assert caught.value.hard_bounce and not caught.value.retryable
    await channel.send(
        delivery("m-here"), Rendered(recipient="here@example.com", subject="Hi", body="Hi")
    )
    assert smtp.inbox.envelopes == [("shop@wayline.test", ["here@example.com"])]
    assert channel.pool.connects == 1


async def test_a_stalled_server_times_out_and_its_connection_is_dropped() -> None:
    """One deadline covers the whole transaction: a server that greets and then never
    answers MAIL costs a retryable failure after `timeout`, and that connection is closed."""
    answered: list[bytes] = []

    async def stall(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 stall.test ESMTP\r\n")
        while line := await reader.readline():
            answered.append(line.split()[0].upper())
            if line.upper().startswith(b"EHLO"):
                writer.write(b"250-stall.test\r\n250 SIZE 1000000\r\n")
            await writer.drain()  # MAIL FROM gets no answer at all

    server = await asyncio.start_server(stall, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    chan = EmailChannel(SmtpConfig(port=port, sender="shop@wayline.test", timeout=0.5))
    try:
        started = asyncio.get_running_loop().time()
        with pytest.raises(ChannelError, match="TimeoutError") as caught:
            await chan.send(
                delivery("m-1"), Rendered(recipient="a@example.com", subject="Hi", body="Hi")
            )
        assert caught.value.retryable
        assert asyncio.get_running_loop().time() - started < 5
        assert answered == [b"EHLO", b"MAIL"]
        assert chan.pool._idle == []  # the stalled connection is not handed out again
    finally:
        await chan.close()
        server.close()


async def test_missing_email_address_is_skipped(
    api_client: Api, admin_headers: Headers, acts: MessageActivities, smtp: SmtpServer
) -> None:
    profile = await profile_with_email(api_client, admin_headers, email_address=False)
    tpl = await email_template(api_client, admin_headers, transactional=True)
    result = await acts.send_message(send_input(tpl, profile))
    assert result.status == "skipped" and result.reason == "no email address"
    resp = await api_client.get(
        "/v1/messages", params={"profile_id": profile}, headers=admin_headers
    )
    [row] = resp.json()["items"]
    assert row["status"] == "skipped" and row["reason"] == "no email address"
    assert smtp.inbox.messages == []


async def test_hard_bounce_suppresses_the_address(
    api_client: Api, admin_headers: Headers, acts: MessageActivities, smtp: SmtpServer
) -> None:
    profile = await profile_with_email(api_client, admin_headers)
    address = f"{profile}@example.com"
    smtp.inbox.refuse.add(address)
    tpl = await email_template(api_client, admin_headers, transactional=True)
    first = await acts.send_message(send_input(tpl, profile))
    assert first.status == "failed" and "550" in (first.error or "")
    resp = await api_client.get(
        "/v1/suppressions", params={"address": address}, headers=admin_headers
    )
    [suppression] = resp.json()["items"]
    assert suppression["channel"] == "email" and suppression["reason"] == "hard_bounce"
    second = await acts.send_message(send_input(tpl, profile))
    assert second.status == "skipped" and second.reason == "suppressed address (hard_bounce)"
    assert smtp.inbox.messages == []


@pytest.mark.parametrize("one_click", [True, False])
async def test_unsubscribe_link_end_to_end(
    api_client: Api,
    admin_headers: Headers,
    signed_api: Api,
    acts: MessageActivities,
    smtp: SmtpServer,
    one_click: bool,
) -> None:
    profile = await profile_with_email(api_client, admin_headers)
    promo = await email_template(api_client, admin_headers)
    other_topic = await email_template(api_client, admin_headers, topic="news")
    receipt = await email_template(api_client, admin_headers, transactional=True)
    assert (await acts.send_message(send_input(promo, profile))).status == "sent"
    link = urlsplit(unsubscribe_link(smtp.inbox.messages[0]))
    target = f"{link.path}?{link.query}"

    if one_click:  # what a mailbox provider does with List-Unsubscribe-Post (RFC 8058)
        resp = await signed_api.post(
            target,
            content="List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    else:  # a person following the link: a page, whose button posts
        page = await signed_api.get(target)
        assert page.status_code == 200 and "<form method='post'" in page.text
        subs = await api_client.get(f"/v1/profiles/{profile}/subscriptions", headers=admin_headers)
        assert subs.json()["items"] == [], "a GET (a link scanner) unsubscribes nobody"
        action = re.search(r"action='([^']+)'", page.text)
        assert action is not None
        resp = await signed_api.post(link.path + action.group(1).replace("&amp;", "&"))
    assert resp.status_code == 200 and "Unsubscribed" in resp.text, resp.text

    subs = await api_client.get(f"/v1/profiles/{profile}/subscriptions", headers=admin_headers)
    got = [(s["channel"], s["topic"], s["status"]) for s in subs.json()["items"]]
    assert got == [("email", "promotions", "unsubscribed")]

    skipped = await acts.send_message(send_input(promo, profile))
    assert skipped.status == "skipped"
    assert skipped.reason == "unsubscribed from email topic 'promotions'"
    assert (await acts.send_message(send_input(other_topic, profile))).status == "sent"
    assert (await acts.send_message(send_input(receipt, profile))).status == "sent"
    assert len(smtp.inbox.messages) == 3
    resp = await api_client.get(
        "/v1/messages", params={"profile_id": profile}, headers=admin_headers
    )
    reasons = [m["reason"] for m in resp.json()["items"] if m["status"] == "skipped"]
    assert reasons == ["unsubscribed from email topic 'promotions'"]


async def test_unsubscribe_refuses_forged_tokens(signed_api: Api, api_client: Api) -> None:
    token = unsubscribe_token("not-the-secret", UnsubscribeScope("victim", "email", None))
    assert (await signed_api.post(f"/v1/unsubscribe?token={token}")).status_code == 400
    good = unsubscribe_token(SECRET, UnsubscribeScope("victim", "email", None))
    signature = good.split(".")[1]
    tampered = unsubscribe_token(SECRET, UnsubscribeScope("other", "email", None)).split(".")[0]
    assert (
        await signed_api.get(f"/v1/unsubscribe?token={tampered}.{signature}")
    ).status_code == 400
    assert (await signed_api.get("/v1/unsubscribe?token=garbage")).status_code == 400
    # a deployment without WAYLINE_SIGNING_SECRET has no unsubscribe links to follow
    assert (await api_client.get(f"/v1/unsubscribe?token={good}")).status_code == 404


def mail_journey(jid: str, template: str, entry: str) -> dict[str, Any]:
    hello = {"type": "message", "channel": "email", "template": template, "next": "done"}
    return {
        "id": jid,
        "name": jid,
        "entry": {"event": entry},
        "start": "hello",
        "nodes": {"hello": hello, "done": {"type": "end"}},
    }


async def test_journey_sends_email_on_the_email_queue(
    settings: Settings,
    pool: asyncpg.Pool,
    api_client: Api,
    admin_headers: Headers,
    smtp: SmtpServer,
) -> None:
    """The worker's email channel, configured by settings alone, on `<queue>.channel.email`."""
    queue, jid, entry = uid("mailq"), uid("welcome"), uid("mail.signed_up")
    tpl = await email_template(api_client, admin_headers)
    await publish(pool, mail_journey(jid, tpl, entry), tpl, channel="email")
    profile = await profile_with_email(api_client, admin_headers)
    mine = settings.model_copy(
        update={
            "task_queue": queue,
            "smtp_port": smtp.port,
            "email_from": "hello@wayline.test",
            "signing_secret": SecretStr(SECRET),
            "public_url": PUBLIC,
        }
    )
    async with running(mine, dispatch=False) as rt:
        router = Router(rt.client, queue)
        router.registry = await Registry.load(pool)
        await router.route(event(entry, profile, {"total": 9}), None)
        handle = rt.client.get_workflow_handle(f"journey:{jid}:{profile}")
        assert await asyncio.wait_for(handle.result(), 60) == "completed"
    await pool.execute("UPDATE journeys SET status = 'stopped' WHERE journey_id = $1", jid)
    rows = await pool.fetch(
        "SELECT status, error, reason FROM messages WHERE profile_id = $1", profile
    )
    assert [r["status"] for r in rows] == ["sent"], [dict(r) for r in rows]
    [msg] = smtp.inbox.messages
    assert msg["To"] == f"{profile}@example.com" and msg["From"] == "hello@wayline.test"
    assert unsubscribe_link(msg).startswith(f"{PUBLIC}/v1/unsubscribe?token=")


def tracking_urls(msg: EmailMessage) -> tuple[str, list[str]]:
    """The open pixel's URL and the tracked links of an email's HTML part."""
    html = msg.get_body(("html",))
    assert html is not None
    text = html.get_content()
    [pixel] = re.findall(r'<img src="([^"]+/v1/t/open\?token=[^"]+)"', text)
    clicks = re.findall(r'href="([^"]+/v1/t/click\?token=[^"]+)"', text)
    return pixel, clicks


def local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


async def stored_events(pool: asyncpg.Pool, profile: str) -> list[asyncpg.Record]:
    return await pool.fetch(
        "SELECT event_id, name, properties FROM events WHERE profile_id = $1 ORDER BY id", profile
    )


async def test_open_pixel_and_click_redirect_record_events(
    api_client: Api,
    admin_headers: Headers,
    signed_api: Api,
    acts: MessageActivities,
    pool: asyncpg.Pool,
    smtp: SmtpServer,
) -> None:
    profile = await profile_with_email(api_client, admin_headers)
    tpl = await email_template(
        api_client,
        admin_headers,
        html='<p>Hi</p><a href="https://shop.example/cart?id=1&amp;x=2">Your cart</a>',
    )
    inp = send_input(tpl, profile)
    assert (await acts.send_message(inp)).status == "sent"
    [msg] = smtp.inbox.messages
    pixel, clicks = tracking_urls(msg)
    assert len(clicks) == 1, "the cart link is tracked, the unsubscribe link is not"
    html_part = msg.get_body(("html",))
    assert html_part is not None
    assert f'href="{unsubscribe_link(msg)}"' in html_part.get_content()

    for _ in range(2):  # a second open is the same event
        resp = await signed_api.get(local(pixel))
        assert resp.status_code == 200 and resp.headers["content-type"] == "image/gif"
        assert resp.headers["cache-control"].startswith("no-store")
    resp = await signed_api.get(local(clicks[0].replace("&amp;", "&")))
    assert resp.status_code == 302
    assert resp.headers["location"] == "https://shop.example/cart?id=1&x=2"

    events = await stored_events(pool, profile)
    assert [e["name"] for e in events] == ["message.opened", "message.clicked"]
    assert events[0]["properties"] == {"message_id": inp.message_id, "journey_id": "mail"}
    assert events[1]["properties"]["url"] == "https://shop.example/cart?id=1&x=2"
    forged = pixel.split("token=")[1][:-4] + "AAAA"
    assert (await signed_api.get(f"/v1/t/open?token={forged}")).status_code == 400
    # an unsubscribe token is no tracking token, even though both are signed alike
    unsubscribe = unsubscribe_link(msg).split("token=")[1]
    assert (await signed_api.get(f"/v1/t/click?token={unsubscribe}")).status_code == 400


def waiting_journey(jid: str, template: str, entry: str) -> dict[str, Any]:
    return {
        "id": jid,
        "name": jid,
        "entry": {"event": entry},
        "start": "mail",
        "nodes": {
            "mail": {"type": "message", "channel": "email", "template": template, "next": "wait"},
            "wait": {
                "type": "wait_for_event",
                "reaction": {"to": "mail", "kind": "opened"},
                "timeout": "P3D",
                "on_event": "opened",
                "on_timeout": "done",
            },
            "opened": {"type": "end"},
            "done": {"type": "end"},
        },
    }


async def test_tracking_round_trip_moves_a_waiting_journey_on(
    settings: Settings,
    pool: asyncpg.Pool,
    api_client: Api,
    admin_headers: Headers,
    signed_api: Api,
    smtp: SmtpServer,
) -> None:
    """Send → the recipient opens (pixel) → the journey awaiting that reaction to its email ends."""
    queue, jid, entry = uid("trackq"), uid("opened"), uid("track.signed_up")
    tpl = await email_template(api_client, admin_headers)
    await publish(pool, waiting_journey(jid, tpl, entry), tpl, channel="email")
    profile = await profile_with_email(api_client, admin_headers)
    mine = settings.model_copy(
        update={
            "task_queue": queue,
            "smtp_port": smtp.port,
            "signing_secret": SecretStr(SECRET),
            "public_url": PUBLIC,
        }
    )
    async with running(mine, dispatch=False) as rt:
        router = Router(rt.client, queue)
        router.registry = await Registry.load(pool)
        await router.route(event(entry, profile, {"total": 1}), None)
        handle = rt.client.get_workflow_handle(f"journey:{jid}:{profile}")
        await asyncio.to_thread(smtp.inbox.arrived.wait, 30)
        [msg] = smtp.inbox.messages
        pixel, _ = tracking_urls(msg)
        assert (await signed_api.get(local(pixel))).status_code == 200
        [stored] = [e for e in await stored_events(pool, profile) if e["name"] == "message.opened"]
        opened = Event(
            event_id=stored["event_id"],
            name="message.opened",
            profile_id=profile,
            timestamp=datetime.now(UTC),
            properties=stored["properties"],
        )
        await router.route(opened, None)  # what the dispatcher does with the stored event
        assert await asyncio.wait_for(handle.result(), 60) == "completed"
        state = await handle.query("state")
    await pool.execute("UPDATE journeys SET status = 'stopped' WHERE journey_id = $1", jid)
    node = state.get("node") if isinstance(state, dict) else getattr(state, "node", None)
    assert node == "opened", state


BAD = "bad<someone@example.test"  # parsed as a display name, it is someone@example.test


async def test_a_stored_address_that_parses_to_someone_else_is_never_mailed(
    api_client: Api,
    admin_headers: Headers,
    acts: MessageActivities,
    smtp: SmtpServer,
    pool: asyncpg.Pool,
) -> None:
    """An address stored before the entry rules (written straight into Postgres, as an old
    row would be): the message fails for good, the ledger says why, and the SMTP server
    sees nothing, not even a connection's RCPT for someone@example.test."""
    profile = await profile_with_email(api_client, admin_headers)
    await pool.execute("UPDATE profiles SET email = $2 WHERE profile_id = $1", profile, BAD)
    tpl = await email_template(api_client, admin_headers, transactional=True)
    result = await acts.send_message(send_input(tpl, profile))
    assert result.status == "failed", result
    assert (result.error or "").startswith(f"invalid recipient address {BAD!r}: not an email")
    resp = await api_client.get(
        "/v1/messages", params={"profile_id": profile}, headers=admin_headers
    )
    [row] = resp.json()["items"]
    assert row["status"] == "failed" and row["recipient"] == BAD
    assert smtp.inbox.envelopes == [] and smtp.inbox.messages == []
    # never suppressed as a bounce: nothing was refused by a server
    assert await pool.fetchval("SELECT count(*) FROM suppressions WHERE address = $1", BAD) == 0
    assert (await acts.send_message(send_input(tpl, profile))).status == "failed"  # retry: same


async def test_a_journey_mails_the_good_address_and_fails_the_bad_one(
    settings: Settings,
    pool: asyncpg.Pool,
    api_client: Api,
    admin_headers: Headers,
    smtp: SmtpServer,
) -> None:
    """The whole journey, on the worker's email queue: the profile whose stored email is
    `bad<someone@example.test` ends its journey with a failed message; nothing reaches
    someone@example.test, while the well-addressed profile gets its email."""
    queue, jid, entry = uid("mailq"), uid("welcome"), uid("mail.signed_up")
    tpl = await email_template(api_client, admin_headers)
    await publish(pool, mail_journey(jid, tpl, entry), tpl, channel="email")
    good = await profile_with_email(api_client, admin_headers)
    bad = await profile_with_email(api_client, admin_headers)
    await pool.execute("UPDATE profiles SET email = $2 WHERE profile_id = $1", bad, BAD)
    mine = settings.model_copy(
        update={"task_queue": queue, "smtp_port": smtp.port, "email_from": "hello@wayline.test"}
    )
    async with running(mine, dispatch=False) as rt:
        router = Router(rt.client, queue)
        router.registry = await Registry.load(pool)
        for profile in (good, bad):
            await router.route(event(entry, profile, {"total": 9}), None)
        for profile in (good, bad):
            handle = rt.client.get_workflow_handle(f"journey:{jid}:{profile}")
            assert await asyncio.wait_for(handle.result(), 60) == "completed"
    await pool.execute("UPDATE journeys SET status = 'stopped' WHERE journey_id = $1", jid)
    rows = await pool.fetch(
        "SELECT profile_id, status, error FROM messages WHERE profile_id = ANY($1)", [good, bad]
    )
    status = {r["profile_id"]: (r["status"], r["error"]) for r in rows}
    assert status[good] == ("sent", None)
    assert status[bad][0] == "failed" and "invalid recipient address" in status[bad][1]
    assert smtp.inbox.envelopes == [("hello@wayline.test", [f"{good}@example.com"])]


async def test_a_tracked_offer_counts_its_open_and_click_in_the_decision_report(
    api_client: Api,
    admin_headers: Headers,
    signed_api: Api,
    acts: MessageActivities,
    smtp: SmtpServer,
) -> None:
    """An email showing a decided offer: its open is the offer's impression and a click on
    the offer's own link its click, each once (issue 16.5); the cart link is no offer's."""
    h, slot, spring = admin_headers, uid("email-hero"), uid("spring")
    link = f"https://shop.example/{spring}?from=email"
    catalog = [
        (f"/v1/placements/{slot}", {"name": "Hero", "channel": "email", "content_type": "html"}),
        (
            f"/v1/offers/{spring}",
            {"name": spring, "representations": {slot: {"content": f'<a href="{link}">Sale</a>'}}},
        ),
    ]
    for path, body in catalog:
        assert (await api_client.put(path, json=body, headers=h)).status_code == 201
    policy = uid("hero")
    body = {"name": policy, "placements": [slot], "candidates": {"offers": [spring]}}
    assert (await api_client.put(f"/v1/decisions/{policy}", json=body, headers=h)).is_success
    profile = await profile_with_email(api_client, h)
    resp = await api_client.post(
        f"/v1/decisions/{policy}/propose", json={"profile_id": profile}, headers=h
    )
    proposition = resp.json()
    html = f"<p>{{{{ decide('{slot}') }}}}</p><a href=\"https://shop.example/cart\">Cart</a>"
    tpl = await email_template(api_client, h, html=html)
    inp = send_input(tpl, profile).model_copy(update={"vars": {"decide_hero": proposition}})
    assert (await acts.send_message(inp)).status == "sent"
    pixel, clicks = tracking_urls(smtp.inbox.messages[-1])
    assert len(clicks) == 2
    for url in [pixel, pixel, *clicks, clicks[0]]:  # twice: counted once
        assert (await signed_api.get(local(url.replace("&amp;", "&")))).status_code in (200, 302)
    report = (await api_client.get(f"/v1/decisions/{policy}/report", headers=h)).json()
    [row] = report["offers"]
    assert (row["offer_id"], row["propositions"], row["impressions"], row["clicks"]) == (
        spring,
        1,
        1,
        1,
    )
