"""The send activity: render, write the ledger row, call the channel, record the outcome.

The message id is deterministic (decision 3): a retry finds the row its first attempt
wrote. A row already `sent` is never sent again; a row left `sending` by a killed worker is
sent again with the same idempotency key, which the provider uses to drop the repeat.
"""

from __future__ import annotations

import time
from typing import Any

import asyncpg
import httpx
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.channels import ChannelError, Heartbeat, Rendered, WebhookChannel
from activities.journey import fetch_profile
from core.contracts import SendInput, SendResult
from db.sql import q
from journeys.expressions import ExpressionError, build_context, compile_template

TEMPLATE_TTL_SECONDS = 5.0


class MessageActivities:
    def __init__(
        self, pool: asyncpg.Pool, http: httpx.AsyncClient, webhook_url: str | None = None
    ) -> None:
        self.pool = pool
        self.webhook = WebhookChannel(http, webhook_url)
        self._templates: dict[str, tuple[float, asyncpg.Record | None]] = {}

    async def _template(self, name: str) -> asyncpg.Record | None:
        """Templates change rarely; a few seconds of cache saves a query per send."""
        cached = self._templates.get(name)
        if cached and time.monotonic() - cached[0] < TEMPLATE_TTL_SECONDS:
            return cached[1]
        row = await self.pool.fetchrow(q("get_template"), name)
        self._templates[name] = (time.monotonic(), row)
        return row

    async def _render(self, inp: SendInput) -> Rendered:
        template = await self._template(inp.template)
        if template is None:
            raise ExpressionError(f"template {inp.template!r} does not exist")
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
        subject = compile_template(template["subject"]).render(ctx) if template["subject"] else None
        body = compile_template(template["body"]).render(ctx)
        recipient = profile.email or profile.phone or profile.profile_id
        return Rendered(recipient=recipient, subject=subject, body=body)

    async def _claim(
        self, inp: SendInput, status: str, rendered: Rendered | None, error: str | None = None
    ) -> tuple[str, bool]:
        row = await self.pool.fetchrow(
            q("claim_message"),
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
        )
        assert row is not None
        if error and row["inserted"]:
            await self.pool.execute(q("mark_message"), inp.message_id, status, error)
        return row["status"], row["inserted"]

    @activity.defn(name="send_message")
    async def send_message(self, inp: SendInput) -> SendResult:
        try:
            rendered = await self._render(inp)
        except ExpressionError as exc:
            status, _ = await self._claim(inp, "failed", None, error=str(exc))
            return SendResult(message_id=inp.message_id, status="failed", error=str(exc))
        if inp.dry_run:  # recorded, rendered, not performed
            await self._claim(inp, "dry_run", rendered)
            return SendResult(message_id=inp.message_id, status="skipped")
        if inp.channel == "log":
            # The ledger row is the delivery: one atomic insert, a retry finds it.
            status, _ = await self._claim(inp, "sent", rendered)
            return _result(inp, status)
        status, _ = await self._claim(inp, "sending", rendered)
        if status != "sending":  # a previous attempt finished: never send twice
            return _result(inp, status)
        return await self._deliver(inp, rendered)

    async def _deliver(self, inp: SendInput, rendered: Rendered) -> SendResult:
        payload: dict[str, Any] = {
            "message_id": inp.message_id,
            "profile_id": inp.profile_id,
            "journey": inp.journey,
            "node": inp.node_id,
            "recipient": rendered.recipient,
            "subject": rendered.subject,
            "body": rendered.body,
        }
        try:
            if inp.channel != "webhook":
                raise ChannelError(f"unknown channel {inp.channel!r}", retryable=False)
            async with Heartbeat():
                await self.webhook.send(inp.message_id, payload)
        except ChannelError as exc:
            if exc.retryable:
                raise ApplicationError(str(exc), type="ChannelRetryable") from exc
            await self.pool.execute(q("mark_message"), inp.message_id, "failed", str(exc))
            return SendResult(message_id=inp.message_id, status="failed", error=str(exc))
        await self.pool.execute(q("mark_message"), inp.message_id, "sent", None)
        return SendResult(message_id=inp.message_id, status="sent")


def _result(inp: SendInput, status: str) -> SendResult:
    """A ledger status as the interpreter knows it (a dry run reads as skipped)."""
    known = status if status in ("sent", "failed", "skipped") else "skipped"
    return SendResult.model_validate({"message_id": inp.message_id, "status": known})
