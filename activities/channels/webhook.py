"""The webhook channel: an HTTP POST of the rendered message to the configured URL."""

from __future__ import annotations

from typing import Any

import httpx

from activities.channels.base import ChannelError, Delivery, Remote, Rendered
from activities.channels.setup import Setup
from core.settings import secret
from core.signing import SIGNATURE_HEADER, canonical_json, sign_webhook


class WebhookChannel(Remote):
    """Temporal retries with backoff on retryable errors; the message id is the
    Idempotency-Key. With a secret, the body is signed like Stripe's webhooks
    (`core.signing.verify_webhook`).
    """

    name = "webhook"

    def __init__(self, http: httpx.AsyncClient, url: str | None, secret: str | None = None) -> None:
        self.http = http
        self.url = url
        self.secret = secret

    async def send(self, delivery: Delivery, rendered: Rendered) -> None:
        if not self.url:
            raise ChannelError("webhook channel has no URL (WAYLINE_WEBHOOK_URL)", retryable=False)
        body = canonical_json(payload(delivery, rendered))
        headers = {"Idempotency-Key": delivery.message_id, "Content-Type": "application/json"}
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


def payload(d: Delivery, rendered: Rendered) -> dict[str, Any]:
    """The JSON body: the message and whom it is for (journey or campaign)."""
    body = {
        "message_id": d.message_id,
        "profile_id": d.profile_id,
        "journey": d.journey,
        "node": d.node_id,
        "recipient": rendered.recipient,
        "subject": rendered.subject,
        "body": rendered.body,
    }
    if d.campaign is not None:
        body["campaign"] = d.campaign
    return body


def configured(setup: Setup) -> WebhookChannel:
    s = setup.settings
    return WebhookChannel(setup.http, s.webhook_url, secret(s.webhook_secret))
