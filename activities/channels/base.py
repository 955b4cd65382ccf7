"""Channel adapters: the provider call and nothing else (rules and ledger live in the activity)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx
from temporalio import activity

from core.signing import SIGNATURE_HEADER, canonical_json, sign_webhook


@dataclass(frozen=True)
class Rendered:
    recipient: str | None
    subject: str | None
    body: str
    html: str | None = None
    unsubscribe_url: str | None = None


class ChannelError(Exception):
    def __init__(self, message: str, *, retryable: bool, hard_bounce: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.hard_bounce = hard_bounce  # the address does not exist: suppress it


class WebhookChannel:
    """HTTP POST of the rendered message; Temporal retries with backoff on retryable errors.

    With a secret, the body is signed like Stripe's webhooks (`core.signing.verify_webhook`).
    """

    def __init__(self, http: httpx.AsyncClient, url: str | None, secret: str | None = None) -> None:
        self.http = http
        self.url = url
        self.secret = secret

    async def send(self, message_id: str, payload: dict[str, Any]) -> None:
        if not self.url:
            raise ChannelError("webhook channel has no URL (WAYLINE_WEBHOOK_URL)", retryable=False)
        body = canonical_json(payload)
        headers = {"Idempotency-Key": message_id, "Content-Type": "application/json"}
        if self.secret:
            headers[SIGNATURE_HEADER] = sign_webhook(self.secret, body)
        try:
            resp = await self.http.post(self.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise ChannelError(f"webhook: {type(exc).__name__}: {exc}", retryable=True) from exc
        if resp.status_code >= 500 or resp.status_code in (408, 425, 429):
            raise ChannelError(f"webhook answered {resp.status_code}", retryable=True)
        if resp.status_code >= 400:
            raise ChannelError(
                f"webhook answered {resp.status_code}: {resp.text[:200]}", retryable=False
            )


class Heartbeat:
    """Heartbeats while a provider call runs, so a killed worker's send is retried in seconds."""

    def __init__(self, every: float = 1.0) -> None:
        self.every = every
        self._task: asyncio.Task[None] | None = None

    async def _beat(self) -> None:
        while True:
            activity.heartbeat()
            await asyncio.sleep(self.every)

    async def __aenter__(self) -> Heartbeat:
        if activity.in_activity() and activity.info().heartbeat_timeout:
            self._task = asyncio.create_task(self._beat())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task:
            self._task.cancel()
