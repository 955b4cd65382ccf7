"""The send activity: render, apply the rules and write the ledger row, call the channel,
record the outcome.

The message id is deterministic (decision 3): a retry finds the row its first attempt
wrote. A row already `sent` is never sent again; a row left `sending` by a killed worker is
sent again with the same idempotency key, which the provider uses to drop the repeat.
Consent, suppression and frequency caps are checked in `activities.rules` before any
provider call; a skipped send is a ledger row with its reason.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
from markupsafe import Markup
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.channels.base import ChannelError, Heartbeat, Rendered, WebhookChannel
from activities.channels.email import EmailChannel
from activities.channels.push import PushChannel
from activities.channels.sms import SmsChannel, count_segments
from activities.channels.tracking import add_tracking
from activities.journey import fetch_profile
from activities.rules import Outgoing, claim_with_rules
from activities.steplog import write_batch
from core.contracts import SendInput, SendResult
from core.metrics import counted_sends
from core.names import LOCAL_CHANNELS
from core.signing import Tracked, UnsubscribeScope, sign_token, unsubscribe_token
from db.sql import q
from journeys.expressions import ExpressionError, build_context, compile_template
from journeys.model import Profile

TEMPLATE_TTL_SECONDS = 5.0


@dataclass(frozen=True)
class Delivery:
    """Who a provider call is for: what the channels need besides the rendered message."""

    message_id: str
    channel: str
    profile_id: str
    journey: dict[str, Any] = field(default_factory=dict)
    node_id: str | None = None
    campaign: dict[str, Any] | None = None

    @classmethod
    def of(cls, inp: SendInput) -> Delivery:
        return cls(inp.message_id, inp.channel, inp.profile_id, inp.journey, inp.node_id)


class MessageActivities:
    def __init__(
        self,
        pool: asyncpg.Pool,
        http: httpx.AsyncClient,
        webhook_url: str | None = None,
        *,
        webhook_secret: str | None = None,
        email: EmailChannel | None = None,
        email_layout: str | None = None,
        signing_secret: str | None = None,
        public_url: str = "http://127.0.0.1:8000",
        email_tracking: bool = True,
        sms: SmsChannel | None = None,
        push: PushChannel | None = None,
    ) -> None:
        self.pool = pool
        self.webhook = WebhookChannel(http, webhook_url, webhook_secret)
        self.email = email
        self.email_layout = email_layout
        self.signing_secret = signing_secret
        self.public_url = public_url.rstrip("/")
        self.email_tracking = email_tracking
        self.sms = sms
        self.push = push
        self._templates: dict[str, tuple[float, asyncpg.Record | None]] = {}

    async def template(self, name: str) -> asyncpg.Record | None:
        """Templates change rarely; a few seconds of cache saves a query per send."""
        cached = self._templates.get(name)
        if cached and time.monotonic() - cached[0] < TEMPLATE_TTL_SECONDS:
            return cached[1]
        row = await self.pool.fetchrow(q("get_send_template"), name)
        self._templates[name] = (time.monotonic(), row)
        return row

    def unsubscribe_url(self, profile_id: str, channel: str, topic: str | None) -> str | None:
        if not self.signing_secret:
            return None
        token = unsubscribe_token(self.signing_secret, UnsubscribeScope(profile_id, channel, topic))
        return f"{self.public_url}/v1/unsubscribe?token={token}"

    def _sms_callback(self, d: Delivery) -> str | None:
        """The delivery-status callback URL, signed for this message (api/routes/sms.py)."""
        if not self.signing_secret:
            return None
        data = [d.message_id, d.profile_id, d.journey.get("id")]
        token = sign_token(self.signing_secret, "sms-status", data)
        return f"{self.public_url}/v1/sms/status?token={token}"

    async def _render(self, inp: SendInput, template: asyncpg.Record) -> Rendered:
        if template["channel"] != inp.channel:
            raise ExpressionError(f"template {inp.template!r} is for channel {template['channel']}")
        profile = await fetch_profile(self.pool, inp.profile_id)
        ctx = build_context(
            profile=profile,
            event=inp.entry_event,
            events=inp.events,
            journey=inp.journey,
            vars=inp.vars,
            now=inp.now,
        )
        return await self.render(
            inp.channel, inp.template, template, ctx, profile, inp.message_id, inp.journey.get("id")
        )

    async def render(
        self,
        channel: str,
        name: str,
        template: Mapping[str, Any] | asyncpg.Record,
        ctx: dict[str, Any],
        profile: Profile,
        message_id: str,
        journey_id: str | None,
    ) -> Rendered:
        """One message from its template and context: journeys and campaign batches alike."""
        unsubscribe = None
        if channel == "email":
            unsubscribe = self.unsubscribe_url(profile.profile_id, channel, template["topic"])
            ctx["unsubscribe_url"] = unsubscribe or ""
        subject = compile_template(template["subject"]).render(ctx) if template["subject"] else None
        body = compile_template(template["body"]).render(ctx)
        html = compile_template(template["html"], True).render(ctx) if template["html"] else None
        if channel == "email" and self.email_layout and self.email_layout != name:
            body, html = await self._wrap(ctx, body, html)
        if channel == "email" and html and self.email_tracking and self.signing_secret:
            html = add_tracking(
                html,
                secret=self.signing_secret,
                base_url=self.public_url,
                tracked=Tracked(message_id, profile.profile_id, journey_id),
                keep=(f"{self.public_url}/v1/unsubscribe",),
            )
        return Rendered(
            recipient=recipient(channel, profile),
            subject=subject,
            body=body,
            html=html,
            unsubscribe_url=unsubscribe,
        )

    async def _wrap(
        self, ctx: dict[str, Any], body: str, html: str | None
    ) -> tuple[str, str | None]:
        """The shared layout template, when it exists, wraps both parts as `{{ content }}`."""
        layout = await self.template(self.email_layout or "")
        if layout is None or layout["channel"] != "email":
            return body, html
        body = compile_template(layout["body"]).render({**ctx, "content": body})
        if html is not None and layout["html"]:
            html = compile_template(layout["html"], True).render({**ctx, "content": Markup(html)})
        return body, html

    async def _claim_plain(
        self, inp: SendInput, status: str, rendered: Rendered | None, error: str | None = None
    ) -> str:
        """A ledger row outside the rules: render failures and dry runs."""
        row = await self.pool.fetchrow(
            q("claim_ruled_message"),
            inp.message_id,
            inp.profile_id,
            inp.journey.get("id"),
            inp.journey.get("version"),
            inp.node_id,
            inp.workflow_id,
            inp.channel,
            inp.template,
            status,
            rendered.recipient if rendered else None,
            rendered.subject if rendered else None,
            rendered.body if rendered else None,
            None,  # no rule outcome
            False,  # not counted by caps either way: never 'sending' or 'sent'
        )
        assert row is not None
        if error and row["inserted"]:
            await self.pool.execute(q("mark_message"), inp.message_id, status, error)
        return str(row["status"])

    @activity.defn(name="send_message")
    @counted_sends
    async def send_message(self, inp: SendInput) -> SendResult:
        if inp.steps is not None:  # the step ledger rides along (activities/steplog.py)
            await write_batch(self.pool, inp.steps)
        try:
            template = await self.template(inp.template)
            if template is None:
                raise ExpressionError(f"template {inp.template!r} does not exist")
            rendered = await self._render(inp, template)
        except ExpressionError as exc:
            await self._claim_plain(inp, "failed", None, error=str(exc))
            return SendResult(message_id=inp.message_id, status="failed", error=str(exc))
        if inp.dry_run:  # recorded, rendered, not performed
            await self._claim_plain(inp, "dry_run", rendered)
            return SendResult(message_id=inp.message_id, status="skipped")
        out = Outgoing(
            message_id=inp.message_id,
            profile_id=inp.profile_id,
            journey_id=inp.journey.get("id"),
            version=inp.journey.get("version"),
            node_id=inp.node_id,
            workflow_id=inp.workflow_id,
            channel=inp.channel,
            template=inp.template,
            recipient=rendered.recipient,
            subject=rendered.subject,
            body=rendered.body,
            topic=template["topic"],
            transactional=template["transactional"],
        )
        # A local channel's delivery is a database write in the ledger row's transaction
        # (log: the row itself; in_app: the inbox item); a retry finds the row.
        go = "sent" if inp.channel in LOCAL_CHANNELS else "sending"
        missing = None if rendered.recipient else MISSING.get(inp.channel, "no recipient")
        deliver = _inbox_writer(inp, rendered) if inp.channel == "in_app" else None
        claim = await claim_with_rules(self.pool, out, go, missing, deliver)
        if claim.status != "sending":  # skipped, or a previous attempt finished: never twice
            return _result(inp, claim.status, claim.reason)
        return await self._deliver(inp, rendered)

    async def _deliver(self, inp: SendInput, rendered: Rendered) -> SendResult:
        try:
            async with Heartbeat():
                await self.call_provider(Delivery.of(inp), rendered)
        except ChannelError as exc:
            if exc.retryable:
                raise ApplicationError(str(exc), type="ChannelRetryable") from exc
            await self.record_final_failure(inp.channel, inp.message_id, rendered, exc)
            return SendResult(message_id=inp.message_id, status="failed", error=str(exc))
        await self.pool.execute(q("mark_message"), inp.message_id, "sent", None)
        return SendResult(message_id=inp.message_id, status="sent")

    async def call_provider(self, d: Delivery, rendered: Rendered) -> None:
        """The provider call of one claimed message; ChannelError says retry or give up."""
        if d.channel == "webhook":
            await self.webhook.send(d.message_id, _payload(d, rendered))
        elif d.channel == "email" and self.email is not None:
            await self.email.send(d.message_id, rendered)
        elif d.channel == "sms" and self.sms is not None:
            sid = await self.sms.send(d.message_id, rendered, self._sms_callback(d))
            parts = count_segments(rendered.body)
            await self.pool.execute(q("mark_sms"), d.message_id, sid, parts.count, parts.encoding)
        elif d.channel == "push" and self.push is not None:
            await self._push(d, rendered)
        else:
            raise ChannelError(f"channel {d.channel!r} is not set up", retryable=False)

    async def record_final_failure(
        self, channel: str, message_id: str, rendered: Rendered, exc: ChannelError
    ) -> None:
        """A send that failed for good: the ledger says why; a hard bounce is suppressed."""
        if exc.hard_bounce and rendered.recipient:
            await self.pool.execute(
                q("suppress_address"), channel, rendered.recipient, "hard_bounce", str(exc)
            )
        await self.pool.execute(q("mark_message"), message_id, "failed", str(exc))

    async def _push(self, d: Delivery, rendered: Rendered) -> None:
        assert self.push is not None
        devices = (rendered.recipient or "").split(",")
        outcome = await self.push.send(d.message_id, rendered, devices)
        if outcome.invalid_tokens:  # FCM says these devices are gone: forget them
            await self.pool.execute(q("remove_push_tokens"), d.profile_id, outcome.invalid_tokens)
        if outcome.sent == 0:
            raise ChannelError("no valid push token", retryable=False)


def _inbox_writer(inp: SendInput, rendered: Rendered) -> Callable[[Any], Awaitable[object]]:
    """The in-app delivery: the inbox item, written with the ledger row."""

    async def write(conn: Any) -> object:
        return await conn.execute(
            q("insert_inbox"), inp.message_id, inp.profile_id, rendered.subject, rendered.body
        )

    return write


MISSING = {"email": "no email address", "sms": "no phone number", "push": "no push token"}


def recipient(channel: str, profile: Profile) -> str | None:
    """The address a channel sends to; None when the profile has none for it."""
    if channel == "email":
        return profile.email or None
    if channel == "sms":
        return profile.phone or None
    if channel == "in_app":
        return profile.profile_id
    if channel == "push":
        tokens = profile.attributes.get("push_tokens")
        valid = [t for t in tokens if isinstance(t, str) and t] if isinstance(tokens, list) else []
        return ",".join(valid) or None
    return profile.email or profile.phone or profile.profile_id


def _payload(d: Delivery, rendered: Rendered) -> dict[str, Any]:
    payload = {
        "message_id": d.message_id,
        "profile_id": d.profile_id,
        "journey": d.journey,
        "node": d.node_id,
        "recipient": rendered.recipient,
        "subject": rendered.subject,
        "body": rendered.body,
    }
    if d.campaign is not None:
        payload["campaign"] = d.campaign
    return payload


def _result(inp: SendInput, status: str, reason: str | None = None) -> SendResult:
    """A ledger status as the interpreter knows it (a dry run reads as skipped)."""
    known = status if status in ("sent", "failed", "skipped") else "skipped"
    return SendResult.model_validate(
        {"message_id": inp.message_id, "status": known, "reason": reason}
    )
