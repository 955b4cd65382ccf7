"""Push through FCM HTTP v1, authenticated by a Google service account.

The OAuth2 access token comes from the service account's JWT-bearer exchange (RS256 JWT
signed with its private key, posted to its `token_uri`), cached until shortly before it
expires and refreshed by one caller at a time. A device token FCM calls unregistered or
invalid is reported so the activity removes it from the profile.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from activities.channels.base import AddressError, ChannelError, Delivery, Remote, Rendered
from activities.channels.setup import Setup
from contacts import addresses
from core.settings import secret
from db.sql import q
from journeys.model import Profile

FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
INVALID_TOKEN_CODES = frozenset({"UNREGISTERED", "INVALID_ARGUMENT"})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


@dataclass(frozen=True)
class ServiceAccount:
    client_email: str
    private_key: str
    token_uri: str
    project_id: str
    private_key_id: str | None = None

    @classmethod
    def load(cls, source: str) -> ServiceAccount:
        """From the JSON key file's path or its JSON content."""
        text = source if source.lstrip().startswith("{") else Path(source).read_text()
        data = json.loads(text)
        return cls(
            client_email=data["client_email"],
            private_key=data["private_key"],
            token_uri=data.get("token_uri", "https://oauth2.googleapis.com/token"),
            project_id=data["project_id"],
            private_key_id=data.get("private_key_id"),
        )

    def assertion(self, now: int) -> str:
        """The RS256-signed JWT the token endpoint exchanges for an access token."""
        header: dict[str, Any] = {"alg": "RS256", "typ": "JWT"}
        if self.private_key_id:
            header["kid"] = self.private_key_id
        claims = {
            "iss": self.client_email,
            "scope": FCM_SCOPE,
            "aud": self.token_uri,
            "iat": now,
            "exp": now + 3600,
        }
        signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
        key = serialization.load_pem_private_key(self.private_key.encode(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ChannelError("the service account key is not an RSA key", retryable=False)
        signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64(signature)}"


@dataclass
class TokenSource:
    """An OAuth2 access token, cached until a minute before it expires."""

    http: httpx.AsyncClient
    account: ServiceAccount
    _token: str | None = None
    _expires: float = 0.0
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    exchanges: int = 0  # token exchanges made, for tests and metrics

    async def token(self) -> str:
        if self._token and time.time() < self._expires - 60:
            return self._token
        async with self._lock:  # one refresh however many sends wait for it
            if self._token and time.time() < self._expires - 60:
                return self._token
            now = int(time.time())
            form = {"grant_type": JWT_BEARER, "assertion": self.account.assertion(now)}
            try:
                resp = await self.http.post(self.account.token_uri, data=form)
            except httpx.HTTPError as exc:
                raise ChannelError(f"oauth2: {type(exc).__name__}: {exc}", retryable=True) from exc
            if resp.status_code != 200:
                retry = resp.status_code >= 500 or resp.status_code == 429
                raise ChannelError(
                    f"oauth2 token endpoint answered {resp.status_code}: {resp.text[:200]}",
                    retryable=retry,
                )
            body = resp.json()
            self.exchanges += 1
            self._token = str(body["access_token"])
            self._expires = now + float(body.get("expires_in", 3600))
            return self._token

    def invalidate(self) -> None:
        self._token = None


def fcm_message(message_id: str, rendered: Rendered, device: str) -> dict[str, Any]:
    """The FCM v1 request body of one device's notification (also what a preview shows)."""
    notification = {"body": rendered.body}
    if rendered.subject:
        notification["title"] = rendered.subject
    return {
        "message": {
            "token": device,
            "notification": notification,
            "data": {"message_id": message_id},
        }
    }


@dataclass(frozen=True)
class PushOutcome:
    sent: int
    invalid_tokens: list[str]


class PushChannel(Remote):
    """Sends one notification to each of a profile's device tokens; forgets dead tokens."""

    name = "push"
    missing = "no push token"

    def __init__(
        self,
        http: httpx.AsyncClient,
        account: ServiceAccount | None,
        pool: asyncpg.Pool,
        base_url: str = "https://fcm.googleapis.com",
    ) -> None:
        self.http = http
        self.account = account
        self.pool = pool
        self.base_url = base_url.rstrip("/")
        self.tokens = TokenSource(http, account) if account else None

    def recipient(self, profile: Profile) -> str | None:
        """The profile's device tokens, comma-separated. Each is checked before the join,
        since a stored `a,b` would otherwise be sent to devices `a` and `b`: one the token
        rule refuses fails the message (contacts/addresses.py). Entries that are no token
        at all (not a string, or empty) address nobody and are left out, as they always were."""
        tokens = profile.attributes.get("push_tokens")
        if not isinstance(tokens, list):
            return None
        valid = []
        for index, token in enumerate(tokens):
            if not (isinstance(token, str) and token):
                continue
            checked = addresses.push_token(token)
            if isinstance(checked, addresses.Invalid):
                raise AddressError(f"invalid push_tokens[{index}]: {checked.reason}")
            valid.append(checked)
        return ",".join(valid) or None

    async def send(self, delivery: Delivery, rendered: Rendered) -> None:
        devices = (rendered.recipient or "").split(",")
        outcome = await self.notify(delivery.message_id, rendered, devices)
        if outcome.invalid_tokens:  # FCM says these devices are gone: forget them
            await self.pool.execute(
                q("remove_push_tokens"), delivery.profile_id, outcome.invalid_tokens
            )
        if outcome.sent == 0:
            raise ChannelError("no valid push token", retryable=False)

    async def notify(self, message_id: str, rendered: Rendered, devices: list[str]) -> PushOutcome:
        """One FCM message per device; unregistered devices are counted out, not errors."""
        if self.account is None or self.tokens is None:
            raise ChannelError(
                "push channel is not configured (WAYLINE_FCM_SERVICE_ACCOUNT)", retryable=False
            )
        url = f"{self.base_url}/v1/projects/{self.account.project_id}/messages:send"
        sent, invalid = 0, []
        for device in devices:
            if await self._post(url, fcm_message(message_id, rendered, device)):
                sent += 1
            else:
                invalid.append(device)
        return PushOutcome(sent, invalid)

    async def _post(self, url: str, message: dict[str, Any]) -> bool:
        """True if sent, False if FCM says the device token is no longer valid."""
        assert self.tokens is not None
        for attempt in range(2):
            headers = {"Authorization": f"Bearer {await self.tokens.token()}"}
            try:
                resp = await self.http.post(url, json=message, headers=headers)
            except httpx.HTTPError as exc:
                raise ChannelError(f"fcm: {type(exc).__name__}: {exc}", retryable=True) from exc
            if resp.status_code == 401 and attempt == 0:  # revoked or expired early: once more
                self.tokens.invalidate()
                continue
            break
        if resp.status_code == 200:
            return True
        if resp.status_code in (404, 400) and _error_code(resp) in INVALID_TOKEN_CODES:
            return False
        if resp.status_code >= 500 or resp.status_code == 429:
            raise ChannelError(f"fcm answered {resp.status_code}", retryable=True)
        raise ChannelError(f"fcm answered {resp.status_code}: {resp.text[:200]}", retryable=False)


def _error_code(resp: httpx.Response) -> str | None:
    """FCM's `errorCode` in the error details (or the status for a bare 404)."""
    try:
        error = resp.json().get("error", {})
    except ValueError:
        return None
    for detail in error.get("details", []):
        if isinstance(detail, dict) and detail.get("errorCode"):
            return str(detail["errorCode"])
    if resp.status_code == 404:
        return "UNREGISTERED"
    return None


def configured(setup: Setup) -> PushChannel:
    s = setup.settings
    source = secret(s.fcm_service_account)
    account = ServiceAccount.load(source) if source else None
    return PushChannel(setup.http, account, setup.pool, s.fcm_base_url)
