"""SMS through an HTTP provider with Twilio's API shape, and segment counting.

`POST {base}/2010-04-01/Accounts/{sid}/Messages.json` (form: To, From, Body,
StatusCallback) with HTTP Basic auth. The provider calls StatusCallback back with the
delivery status (api/routes/sms.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import asyncpg
import httpx

from activities.channels.base import ChannelError, Delivery, Remote, Rendered
from activities.channels.links import Links
from activities.channels.setup import Setup
from contacts import addresses
from core.settings import secret
from db.sql import q
from journeys.model import Profile

# GSM 03.38: the basic character set (one septet) and the extension table (two septets).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ ÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")


@dataclass(frozen=True)
class Segments:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    count: int


def count_segments(text: str) -> Segments:
    """How many SMS a text takes: 160/153 septets in GSM-7, else 70/67 UTF-16 units."""
    if all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text):
        units = sum(2 if c in GSM7_EXTENSION else 1 for c in text)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, multi, encoding = 70, 67, "UCS-2"
    count = 1 if units <= single else math.ceil(units / multi)
    return Segments(encoding, units, count)


@dataclass(frozen=True)
class SmsConfig:
    base_url: str = "https://api.twilio.com"
    account_sid: str | None = None
    auth_token: str | None = None
    sender: str | None = None


def _to(stored: str) -> str:
    """The stored number in E.164 (the same digits), or a final failure: a number the entry
    rules refuse (contacts/addresses.py) is never handed to the provider to guess at."""
    checked = addresses.phone(stored)
    if isinstance(checked, addresses.Invalid):
        raise ChannelError(
            f"invalid recipient number {stored!r}: {checked.reason}", retryable=False
        )
    return checked


class SmsChannel(Remote):
    """Sends one SMS and records its provider id and segments for the status callback."""

    name = "sms"
    missing = "no phone number"

    def __init__(
        self,
        http: httpx.AsyncClient,
        config: SmsConfig,
        pool: asyncpg.Pool,
        links: Links | None = None,
    ) -> None:
        self.http = http
        self.config = config
        self.pool = pool
        self.links = links or Links()

    def recipient(self, profile: Profile) -> str | None:
        return profile.phone or None

    async def send(self, delivery: Delivery, rendered: Rendered) -> None:
        status_callback = self.links.sms_status(delivery)
        sid = await self.post(delivery.message_id, rendered, status_callback)
        parts = count_segments(rendered.body)
        await self.pool.execute(
            q("mark_sms"), delivery.message_id, sid, parts.count, parts.encoding
        )

    async def post(self, message_id: str, rendered: Rendered, status_callback: str | None) -> str:
        """The provider's message id of one SMS sent."""
        c = self.config
        if not (c.account_sid and c.auth_token and c.sender):
            raise ChannelError(
                "sms channel is not configured (WAYLINE_SMS_ACCOUNT_SID, _AUTH_TOKEN, _FROM)",
                retryable=False,
            )
        url = f"{c.base_url.rstrip('/')}/2010-04-01/Accounts/{c.account_sid}/Messages.json"
        form = {"To": _to(rendered.recipient or ""), "From": c.sender, "Body": rendered.body}
        if status_callback:
            form["StatusCallback"] = status_callback
        try:
            resp = await self.http.post(
                url,
                data=form,
                auth=(c.account_sid, c.auth_token),
                headers={"Idempotency-Key": message_id},
            )
        except httpx.HTTPError as exc:
            raise ChannelError(f"sms: {type(exc).__name__}: {exc}", retryable=True) from exc
        if resp.status_code >= 500 or resp.status_code in (408, 425, 429):
            raise ChannelError(f"sms provider answered {resp.status_code}", retryable=True)
        if resp.status_code >= 400:
            raise ChannelError(
                f"sms provider answered {resp.status_code}: {resp.text[:200]}", retryable=False
            )
        try:
            sid = resp.json()["sid"]
        except (ValueError, KeyError, TypeError) as exc:
            raise ChannelError(
                "sms provider answered without a message sid", retryable=False
            ) from exc
        return str(sid)


def configured(setup: Setup) -> SmsChannel:
    s = setup.settings
    config = SmsConfig(
        base_url=s.sms_base_url,
        account_sid=s.sms_account_sid,
        auth_token=secret(s.sms_auth_token),
        sender=s.sms_from,
    )
    return SmsChannel(setup.http, config, setup.pool, setup.links)
