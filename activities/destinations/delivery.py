"""One signed batch POSTed to a destination's endpoint, as webhooks are sent: canonical JSON,
`Wayline-Signature` (HMAC-SHA256, `core.signing`) when the destination names a signing
secret, the batch id as `Idempotency-Key`, and the SSRF guard at connect (decision 19).

A 5xx, 408, 425, 429 or a network error is retryable (Temporal retries with the
destination's backoff); any other 4xx is the endpoint's final word on that batch; a refused
address or a missing secret blocks the batch until the configuration is fixed.
"""

from __future__ import annotations

from typing import Any

import httpx

from activities.actions import auth_header
from activities.http_guard import BlockedDestination, GuardedClient, check_url
from core.connectors import HttpSpec, secret_value
from core.destinations import HttpTarget
from core.signing import SIGNATURE_HEADER, canonical_json, sign_webhook
from services.action_requests import CallFailed


class Refused(Exception):
    """Final: the endpoint or our own rules refused this batch; retrying cannot help."""


class Blocked(Exception):
    """Our configuration forbids the call (an internal address, a secret not set or not
    bound to the host): nothing was sent; the batch waits until the configuration allows it."""


class Retryable(Exception):
    """The endpoint may take it later."""


async def post_batch(http: GuardedClient, target: HttpTarget, key: str, payload: Any) -> int:
    """Send one batch; the number of body bytes sent."""
    body = canonical_json(payload)
    headers = {"Content-Type": "application/json", "Idempotency-Key": key, **_auth(target)}
    if target.signing_secret is not None:
        secret = secret_value(target.signing_secret)
        if secret is None:
            raise Blocked(f"signing secret {target.signing_secret!r} is not set")
        headers[SIGNATURE_HEADER] = sign_webhook(secret, body)
    try:
        check_url(target.url)
        resp = await http.post(
            target.url, content=body, headers=headers, timeout=target.timeout_seconds
        )
    except BlockedDestination as exc:
        raise Blocked(f"refused: {exc}") from exc
    except httpx.HTTPError as exc:
        raise Retryable(f"{type(exc).__name__}: {exc}") from exc
    if resp.status_code >= 500 or resp.status_code in (408, 425, 429):
        raise Retryable(f"answered {resp.status_code}")
    if resp.status_code >= 400:
        raise Refused(f"answered {resp.status_code}: {resp.text[:300]}")
    return len(body)


def _auth(target: HttpTarget) -> dict[str, str]:
    if target.auth is None:
        return {}
    try:
        return auth_header(HttpSpec(url=target.url, auth=target.auth), target.url)
    except CallFailed as exc:
        raise Blocked(str(exc)) from exc
