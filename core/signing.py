"""HMAC signatures shared by the workers and the API: webhook bodies and unsubscribe tokens."""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any

SIGNATURE_HEADER = "Wayline-Signature"
DEFAULT_TOLERANCE_SECONDS = 300


_CANONICAL = json.JSONEncoder(separators=(",", ":"), sort_keys=True, default=str)


def canonical_json(payload: Any) -> bytes:
    """The exact bytes a webhook body is sent (and signed) as (one encoder, built once:
    `json.dumps` with options builds a new one per call, and every email signs three)."""
    return _CANONICAL.encode(payload).encode()


def _hmac(secret: str, data: bytes) -> str:
    return hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()


def sign_webhook(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """`t=<unix>,v1=<hex HMAC-SHA256 of "t.body">`, as Stripe signs its webhooks."""
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={_hmac(secret, f'{t}.'.encode() + body)}"


def verify_webhook(
    secret: str,
    header: str,
    body: bytes,
    *,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """True if `header` signs `body` with `secret` within `tolerance` seconds (for receivers)."""
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    try:
        t = int(parts["t"][0])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - t) > tolerance:
        return False
    expected = _hmac(secret, f"{t}.".encode() + body)
    return any(hmac.compare_digest(expected, v) for v in parts.get("v1", []))


@dataclass(frozen=True)
class UnsubscribeScope:
    """What an unsubscribe link unsubscribes: a profile from a channel, or one of its topics."""

    profile_id: str
    channel: str
    topic: str | None


_URLSAFE = bytes.maketrans(b"+/", b"-_")


def _b64(data: bytes) -> str:
    """URL-safe base64 without padding (what `base64.urlsafe_b64encode` gives, less two
    Python-level calls per use)."""
    return binascii.b2a_base64(data, newline=False).translate(_URLSAFE).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@functools.lru_cache(maxsize=64)
def _keyed(secret: str, purpose: str) -> hmac.HMAC:
    """An HMAC with the key and the purpose prefix already absorbed: each token then costs a
    copy and one update, not a key schedule (three tokens go into every tracked email)."""
    return hmac.new(secret.encode(), f"{purpose}.".encode(), hashlib.sha256)


def _mac(secret: str, purpose: str, payload: str) -> bytes:
    mac = _keyed(secret, purpose).copy()
    mac.update(payload.encode())
    return mac.digest()


def sign_token(secret: str, purpose: str, data: list[Any]) -> str:
    """A URL-safe token carrying `data`, signed for one purpose so it cannot be forged,
    altered or used for another purpose."""
    payload = _b64(canonical_json(data))
    return f"{payload}.{_b64(_mac(secret, purpose, payload))}"


def read_token(secret: str, purpose: str, token: str) -> list[Any] | None:
    """The data of a valid token, or None if it is malformed or its signature is wrong."""
    payload, _, signature = token.partition(".")
    if not signature or not hmac.compare_digest(_b64(_mac(secret, purpose, payload)), signature):
        return None
    try:
        data = json.loads(_unb64(payload))
    except (ValueError, TypeError):
        return None
    return data if isinstance(data, list) else None


def unsubscribe_token(secret: str, scope: UnsubscribeScope) -> str:
    """A token naming the scope of an unsubscribe link."""
    return sign_token(secret, "unsubscribe", [scope.profile_id, scope.channel, scope.topic])


def read_unsubscribe_token(secret: str, token: str) -> UnsubscribeScope | None:
    """The scope of a valid unsubscribe token, or None."""
    data = read_token(secret, "unsubscribe", token)
    if data is None or len(data) != 3:
        return None
    profile_id, channel, topic = data
    if not isinstance(profile_id, str) or not isinstance(channel, str):
        return None
    return UnsubscribeScope(profile_id, channel, topic if isinstance(topic, str) else None)


@dataclass(frozen=True)
class Tracked:
    """What a tracking link or pixel reports: which message, the clicked URL, and the decided
    offers it stands for, as (proposition id, offer id): all those the message shows for
    the pixel, those whose content holds the URL for a link."""

    message_id: str
    profile_id: str
    journey_id: str | None
    url: str | None = None
    offers: tuple[tuple[str, str], ...] = ()


def tracking_token(secret: str, tracked: Tracked) -> str:
    """A token without offers is the four fields it always was, so the tokens of emails sent
    before offers were tracked read the same."""
    data: list[Any] = [tracked.message_id, tracked.profile_id, tracked.journey_id, tracked.url]
    if tracked.offers:
        data.append([list(o) for o in tracked.offers])
    return sign_token(secret, "track", data)


def read_tracking_token(secret: str, token: str) -> Tracked | None:
    data = read_token(secret, "track", token)
    if data is None or len(data) not in (4, 5) or not all(isinstance(v, str) for v in data[:2]):
        return None
    message_id, profile_id, journey_id, url = data[:4]
    offers = _offers(data[4]) if len(data) == 5 else ()
    if offers is None:
        return None
    return Tracked(
        message_id,
        profile_id,
        journey_id if isinstance(journey_id, str) else None,
        url if isinstance(url, str) else None,
        offers,
    )


def _offers(value: Any) -> tuple[tuple[str, str], ...] | None:
    """The (proposition, offer) pairs of a token, or None when they are not pairs of ids."""
    if not isinstance(value, list):
        return None
    pairs = [tuple(p) for p in value if isinstance(p, list) and len(p) == 2]
    if len(pairs) != len(value) or not all(isinstance(i, str) for p in pairs for i in p):
        return None
    return tuple((p[0], p[1]) for p in pairs)
