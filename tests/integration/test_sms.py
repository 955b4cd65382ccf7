"""SMS through a local HTTP server with Twilio's API shape, segment counting, and the
delivery-status callback that emits `message.delivered` / `message.failed`."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg
import httpx
import pytest
from pydantic import SecretStr
from temporalio.exceptions import ApplicationError

from activities.channels import by_name
from activities.channels.links import Links
from activities.channels.sms import SmsChannel, SmsConfig, count_segments
from activities.messages import MessageActivities
from api.app import create_app
from core.contracts import SendInput
from core.settings import Settings
from tests.integration import helpers
from tests.integration.helpers import uid

pytestmark = pytest.mark.integration

SECRET = "sms-callback-secret"
PUBLIC = "http://wayline"
Api = httpx.AsyncClient
Headers = dict[str, str]


class FakeTwilio:
    """Answers `POST /2010-04-01/Accounts/{sid}/Messages.json` like Twilio does."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], dict[str, str]]] = []
        self.status = 201
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                fake.requests.append((self.path, form, dict(self.headers)))
                body = {"sid": f"SM{len(fake.requests):032d}", "status": "queued"}
                self.send_response(fake.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps(body).encode())

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio()
    fake.thread.start()
    try:
        yield fake
    finally:
        fake.server.shutdown()
        fake.server.server_close()


@pytest.fixture
async def acts(pool: asyncpg.Pool, twilio: FakeTwilio) -> AsyncIterator[MessageActivities]:
    config = SmsConfig(
        base_url=twilio.url, account_sid="AC123", auth_token="tok", sender="+15550001111"
    )
    async with httpx.AsyncClient() as http:
        sms = SmsChannel(http, config, pool, Links(SECRET, PUBLIC))
        yield MessageActivities(pool, by_name(sms))


@pytest.fixture
async def signed_api(settings: Settings, migrated: None) -> AsyncIterator[Api]:
    app = create_app(settings.model_copy(update={"signing_secret": SecretStr(SECRET)}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=PUBLIC) as client:
            yield client


async def sms_template(api: Api, headers: Headers, body: str) -> str:
    name = uid("sms")
    resp = await api.put(
        f"/v1/templates/{name}", json={"channel": "sms", "body": body}, headers=headers
    )
    assert resp.status_code == 201, resp.text
    return name


async def profile(api: Api, headers: Headers, phone: str | None = "+15557654321") -> str:
    pid = uid("p")
    body = {"phone": phone} if phone else {}
    resp = await api.put(f"/v1/profiles/{pid}", json=body, headers=headers)
    assert resp.status_code == 201, resp.text
    return pid


def send_input(template: str, profile_id: str) -> SendInput:
    return helpers.send_input("sms", template, profile_id, journey="texts")


@pytest.mark.parametrize(
    ("text", "encoding", "units", "count"),
    [
        ("hello", "GSM-7", 5, 1),
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),
        ("a" * 307, "GSM-7", 307, 3),
        ("Prix: 5€ {promo}", "GSM-7", 19, 1),  # € { } take two septets each
        ("€" * 80, "GSM-7", 160, 1),
        ("héllo à Ødegård", "GSM-7", 15, 1),
        ("Привет", "UCS-2", 6, 1),
        ("ж" * 70, "UCS-2", 70, 1),
        ("ж" * 71, "UCS-2", 71, 2),
        ("hi 👋", "UCS-2", 5, 1),  # an emoji is two UTF-16 units
        ("ж" * 134, "UCS-2", 134, 2),
        ("ж" * 135, "UCS-2", 135, 3),
    ],
)
def test_segments(text: str, encoding: str, units: int, count: int) -> None:
    got = count_segments(text)
    assert (got.encoding, got.units, got.count) == (encoding, units, count)


async def test_send_and_delivery_callbacks(
    api_client: Api,
    admin_headers: Headers,
    signed_api: Api,
    acts: MessageActivities,
    pool: asyncpg.Pool,
    twilio: FakeTwilio,
) -> None:
    pid = await profile(api_client, admin_headers)
    tpl = await sms_template(api_client, admin_headers, "Привет {{ profile.profile_id }}")
    inp = send_input(tpl, pid)
    assert (await acts.send_message(inp)).status == "sent"
    [(path, form, headers)] = twilio.requests
    assert path == "/2010-04-01/Accounts/AC123/Messages.json"
    assert form["To"] == "+15557654321" and form["From"] == "+15550001111"
    assert form["Body"] == f"Привет {pid}"
    assert headers["Authorization"] == "Basic " + base64.b64encode(b"AC123:tok").decode()
    row = await pool.fetchrow("SELECT * FROM messages WHERE message_id = $1", inp.message_id)
    assert row is not None
    assert row["provider_id"] == "SM" + "1".zfill(32) and row["status"] == "sent"
    assert (row["encoding"], row["segments"]) == ("UCS-2", 1)

    callback = urlsplit(form["StatusCallback"])
    target = f"{callback.path}?{callback.query}"
    form_type = {"Content-Type": "application/x-www-form-urlencoded"}
    for status in ("sent", "delivered"):
        resp = await signed_api.post(
            target, content=f"MessageSid=SM1&MessageStatus={status}", headers=form_type
        )
        assert resp.status_code == 204, resp.text
    row = await pool.fetchrow("SELECT * FROM messages WHERE message_id = $1", inp.message_id)
    assert row is not None and row["delivery_status"] == "delivered" and row["delivered_at"]
    events = await pool.fetch(
        "SELECT name, properties FROM events WHERE profile_id = $1 ORDER BY id", pid
    )
    assert [e["name"] for e in events] == ["message.delivered"]
    assert events[0]["properties"]["message_id"] == inp.message_id

    other = send_input(tpl, pid)
    assert (await acts.send_message(other)).status == "sent"
    failed_target = urlsplit(twilio.requests[1][1]["StatusCallback"])
    resp = await signed_api.post(
        f"{failed_target.path}?{failed_target.query}",
        content="MessageSid=SM2&MessageStatus=undelivered&ErrorCode=30003",
        headers=form_type,
    )
    assert resp.status_code == 204
    events = await pool.fetch(
        "SELECT name, properties FROM events WHERE profile_id = $1 ORDER BY id", pid
    )
    assert [e["name"] for e in events] == ["message.delivered", "message.failed"]
    assert events[1]["properties"]["error_code"] == "30003"
    row = await pool.fetchrow("SELECT error FROM messages WHERE message_id = $1", other.message_id)
    assert row is not None and row["error"] == "sms undelivered (error 30003)"

    forged = target.replace("token=", "token=x")
    resp = await signed_api.post(forged, content="MessageStatus=delivered", headers=form_type)
    assert resp.status_code == 400


async def test_no_phone_is_skipped_and_provider_errors(
    api_client: Api, admin_headers: Headers, acts: MessageActivities, twilio: FakeTwilio
) -> None:
    tpl = await sms_template(api_client, admin_headers, "hi")
    no_phone = await profile(api_client, admin_headers, phone=None)
    result = await acts.send_message(send_input(tpl, no_phone))
    assert result.status == "skipped" and result.reason == "no phone number"
    pid = await profile(api_client, admin_headers)
    twilio.status = 503
    with pytest.raises(ApplicationError):
        await acts.send_message(send_input(tpl, pid))
    twilio.status = 400
    failed = await acts.send_message(send_input(tpl, pid))
    assert failed.status == "failed" and "400" in (failed.error or "")


@pytest.mark.parametrize("stored", ["06 12 34 56 78", "+1 555 0100", "+33 6 12 34 56 78 ext. 9"])
async def test_a_stored_number_the_rules_refuse_is_never_sent(
    api_client: Api,
    admin_headers: Headers,
    acts: MessageActivities,
    twilio: FakeTwilio,
    pool: asyncpg.Pool,
    stored: str,
) -> None:
    """A row written before the E.164 rule (straight into Postgres, as an old row would
    be): the provider is not asked to guess the country; the message fails for good."""
    tpl = await sms_template(api_client, admin_headers, "hi")
    pid = await profile(api_client, admin_headers)
    await pool.execute("UPDATE profiles SET phone = $2 WHERE profile_id = $1", pid, stored)
    result = await acts.send_message(send_input(tpl, pid))
    assert result.status == "failed", result
    assert (result.error or "").startswith(f"invalid recipient number {stored!r}: not an E.164")
    assert twilio.requests == []
    row = await pool.fetchrow("SELECT status, error FROM messages WHERE profile_id = $1", pid)
    assert row is not None and (row["status"], row["error"]) == ("failed", result.error)


async def test_an_old_formatted_number_is_sent_in_e164(
    api_client: Api,
    admin_headers: Headers,
    acts: MessageActivities,
    twilio: FakeTwilio,
    pool: asyncpg.Pool,
) -> None:
    tpl = await sms_template(api_client, admin_headers, "hi")
    pid = await profile(api_client, admin_headers)
    await pool.execute("UPDATE profiles SET phone = '+1 (555) 765-4321' WHERE profile_id = $1", pid)
    assert (await acts.send_message(send_input(tpl, pid))).status == "sent"
    [(_, form, _)] = twilio.requests
    assert form["To"] == "+15557654321"  # the same digits, as the provider wants them
