"""Push through FCM HTTP v1 against a local server standing in for Google's OAuth2 token
endpoint and FCM: the JWT-bearer exchange (signature checked), token caching, and device
tokens FCM calls unregistered removed from the profile."""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import asyncpg
import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from activities.channels import by_name
from activities.channels.push import FCM_SCOPE, JWT_BEARER, PushChannel, ServiceAccount
from activities.messages import MessageActivities
from core.contracts import SendInput
from tests.integration import helpers

pytestmark = pytest.mark.integration

Api = httpx.AsyncClient
Headers = dict[str, str]


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class FakeGoogle:
    """`POST /token` (JWT bearer, verified with the account's public key) and
    `POST /v1/projects/{p}/messages:send`; device tokens starting `gone-` are unregistered."""

    def __init__(self, public_key: rsa.RSAPublicKey) -> None:
        self.claims: list[dict[str, Any]] = []
        self.sends: list[tuple[str, dict[str, Any]]] = []
        self.revoke_next = False
        self.issued = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, status: int, body: dict[str, Any]) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps(body).encode())

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.path == "/token":
                    form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                    assert form["grant_type"] == JWT_BEARER
                    header, claims, signature = form["assertion"].split(".")
                    try:
                        public_key.verify(
                            unb64(signature),
                            f"{header}.{claims}".encode(),
                            padding.PKCS1v15(),
                            hashes.SHA256(),
                        )
                    except Exception:
                        return self._answer(400, {"error": "invalid_grant"})
                    fake.claims.append(json.loads(unb64(claims)))
                    fake.issued += 1
                    return self._answer(
                        200, {"access_token": f"ya29.t{fake.issued}", "expires_in": 3600}
                    )
                auth = self.headers.get("Authorization", "")
                if fake.revoke_next or auth != f"Bearer ya29.t{fake.issued}":
                    fake.revoke_next = False
                    return self._answer(401, {"error": {"status": "UNAUTHENTICATED"}})
                body = json.loads(raw)
                fake.sends.append((self.path, body))
                if body["message"]["token"].startswith("gone-"):
                    details = [{"errorCode": "UNREGISTERED"}]
                    return self._answer(404, {"error": {"status": "NOT_FOUND", "details": details}})
                return self._answer(200, {"name": "projects/demo/messages/1"})

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def google(key: rsa.RSAPrivateKey) -> Iterator[FakeGoogle]:
    fake = FakeGoogle(key.public_key())
    fake.thread.start()
    try:
        yield fake
    finally:
        fake.server.shutdown()
        fake.server.server_close()


@pytest.fixture
async def acts(
    pool: asyncpg.Pool, google: FakeGoogle, key: rsa.RSAPrivateKey
) -> AsyncIterator[MessageActivities]:
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    account = ServiceAccount.load(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "demo",
                "private_key_id": "kid-1",
                "private_key": pem,
                "client_email": "wayline@demo.iam.gserviceaccount.com",
                "token_uri": f"{google.url}/token",
            }
        )
    )
    async with httpx.AsyncClient() as http:
        yield MessageActivities(pool, by_name(PushChannel(http, account, pool, google.url)))


def send_input(template: str, profile: str) -> SendInput:
    return helpers.send_input("push", template, profile, journey="push")


async def setup(api: Api, headers: Headers, tokens: list[str]) -> tuple[str, str]:
    name, profile = f"push-{uuid.uuid4().hex[:8]}", f"p-{uuid.uuid4().hex[:8]}"
    body = {"channel": "push", "subject": "Sale", "body": "Hi {{ profile.profile_id }}"}
    resp = await api.put(f"/v1/templates/{name}", json=body, headers=headers)
    assert resp.status_code == 201, resp.text
    attrs = {"attributes": {"push_tokens": tokens}}
    resp = await api.put(f"/v1/profiles/{profile}", json=attrs, headers=headers)
    assert resp.status_code == 201, resp.text
    return name, profile


async def test_oauth_exchange_is_signed_and_cached(
    api_client: Api, admin_headers: Headers, acts: MessageActivities, google: FakeGoogle
) -> None:
    tpl, profile = await setup(api_client, admin_headers, ["dev-a", "dev-b"])
    for _ in range(3):
        assert (await acts.send_message(send_input(tpl, profile))).status == "sent"
    assert google.issued == 1, "one token exchange serves every send until it expires"
    [claims] = google.claims
    assert claims["iss"] == "wayline@demo.iam.gserviceaccount.com"
    assert claims["scope"] == FCM_SCOPE and claims["aud"] == f"{google.url}/token"
    assert claims["exp"] - claims["iat"] == 3600 and abs(claims["iat"] - time.time()) < 60
    assert len(google.sends) == 6
    path, body = google.sends[0]
    assert path == "/v1/projects/demo/messages:send"
    assert body["message"]["token"] == "dev-a"
    assert body["message"]["notification"] == {"title": "Sale", "body": f"Hi {profile}"}

    google.revoke_next = True  # a token revoked early: one new exchange, then sent
    assert (await acts.send_message(send_input(tpl, profile))).status == "sent"
    assert google.issued == 2


async def test_unregistered_devices_are_removed_from_the_profile(
    api_client: Api, admin_headers: Headers, acts: MessageActivities, pool: asyncpg.Pool
) -> None:
    tpl, profile = await setup(api_client, admin_headers, ["gone-1", "dev-ok", "gone-2"])
    assert (await acts.send_message(send_input(tpl, profile))).status == "sent"
    attrs = await pool.fetchval("SELECT attributes FROM profiles WHERE profile_id = $1", profile)
    assert attrs["push_tokens"] == ["dev-ok"]

    tpl2, lost = await setup(api_client, admin_headers, ["gone-3"])
    failed = await acts.send_message(send_input(tpl2, lost))
    assert failed.status == "failed" and failed.error == "no valid push token"
    attrs = await pool.fetchval("SELECT attributes FROM profiles WHERE profile_id = $1", lost)
    assert attrs["push_tokens"] == []
    skipped = await acts.send_message(send_input(tpl2, lost))
    assert skipped.status == "skipped" and skipped.reason == "no push token"


@pytest.mark.parametrize("stored", [["dev-ok", "dev-a,dev-b"], ["dev-ok", "", "dev ok"]])
async def test_stored_tokens_the_rules_refuse_fail_the_message(
    api_client: Api,
    admin_headers: Headers,
    acts: MessageActivities,
    google: FakeGoogle,
    pool: asyncpg.Pool,
    stored: list[str],
) -> None:
    """Written before the token rule (straight into Postgres): `dev-a,dev-b` is one stored
    token, never two devices; the message fails for good naming it, and nothing is sent."""
    tpl, profile = await setup(api_client, admin_headers, ["dev-ok"])
    await pool.execute(
        "UPDATE profiles SET attributes = jsonb_set(attributes, '{push_tokens}', $2::jsonb) "
        "WHERE profile_id = $1",
        profile,
        stored,
    )
    result = await acts.send_message(send_input(tpl, profile))
    assert result.status == "failed", result
    assert (result.error or "").startswith(f"invalid push_tokens[{len(stored) - 1}]: not a device")
    assert google.sends == []
    row = await pool.fetchrow("SELECT status, error FROM messages WHERE profile_id = $1", profile)
    assert row is not None and (row["status"], row["error"]) == ("failed", result.error)
