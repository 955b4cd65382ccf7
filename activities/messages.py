"""The send activity: render, apply the rules and write the ledger row, call the channel,
record the outcome.

The message id is deterministic (decision 3): a retry finds the row its first attempt
wrote. A row already `sent` is never sent again; a row left `sending` by a killed worker is
sent again with the same idempotency key, which the provider uses to drop the repeat.
Consent, suppression and frequency caps are checked in `activities.rules` before any
provider call; a skipped send is a ledger row with its reason.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import asyncpg
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.attempts import gave_up, last_attempt
from activities.channels.base import (
    AddressError,
    Channel,
    ChannelError,
    Delivery,
    Draft,
    Rendered,
    Template,
    Unconfigured,
)
from activities.heartbeat import Heartbeat
from activities.journey import fetch_profile
from activities.rules import Outgoing, claim_with_rules
from activities.steplog import write_batch
from content.fragments import Fragment, uses
from core.contracts import SendInput, SendResult
from core.metrics import counted_sends
from db.sql import q
from journeys.expressions import ExpressionError, build_context
from journeys.model import Profile
from services.fragments import fragments_of

TEMPLATE_TTL_SECONDS = 5.0


class MessageActivities:
    """The send activity over the channels it is given, by name (activities.channels)."""

    def __init__(self, pool: asyncpg.Pool, channels: Mapping[str, Channel]) -> None:
        self.pool = pool
        self.channels = channels
        self._templates: dict[str, tuple[float, asyncpg.Record | None]] = {}

    def channel(self, name: str) -> Channel:
        """The channel of this name; one not given fails its sends for good."""
        return self.channels.get(name) or Unconfigured(name)

    async def close(self) -> None:
        for channel in self.channels.values():
            await channel.close()

    async def template(self, name: str) -> asyncpg.Record | None:
        """Templates change rarely; a few seconds of cache saves a query per send."""
        cached = self._templates.get(name)
        if cached and time.monotonic() - cached[0] < TEMPLATE_TTL_SECONDS:
            return cached[1]
        row = await self.pool.fetchrow(q("get_send_template"), name)
        self._templates[name] = (time.monotonic(), row)
        return row

    async def fragments(self, channel: str, template: Template) -> dict[str, Fragment]:
        """The fragments a render may include, read for each journey send and each campaign
        batch, not cached: a changed fragment is in the very next message. None are read
        when neither the template nor the channel's layout includes any (most sends)."""
        sources = Draft.sources(template)
        layout = self.channel(channel).layout
        if layout is not None and (wrapper := await self.template(layout)) is not None:
            sources += Draft.sources(wrapper)
        if not uses(sources):
            return {}
        return fragments_of(await self.pool.fetch(q("render_fragments")))

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
        if inp.entity is not None:  # a per-entity message: its record, as campaigns have it
            ctx["entity"] = inp.entity.scope
        return await self.render(
            inp.channel,
            inp.template,
            template,
            ctx,
            profile,
            inp.message_id,
            inp.journey.get("id"),
            await self.fragments(inp.channel, template),
        )

    async def render(
        self,
        channel: str,
        name: str,
        template: Template,
        ctx: dict[str, Any],
        profile: Profile,
        message_id: str,
        journey_id: str | None,
        fragments: Mapping[str, Fragment],
    ) -> Rendered:
        """One message from its template and context: journeys, campaign batches, previews
        and proofs alike. The ledger learns which locale variant went out."""
        draft = Draft(
            name, template, ctx, profile, message_id, journey_id, self.template, fragments
        )
        rendered = await self.channel(channel).render(draft)
        return dataclasses.replace(rendered, locale=draft.variant())

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
            rendered.locale if rendered else None,
            inp.entity.type if inp.entity else None,
            inp.entity.key if inp.entity else None,
        )
        assert row is not None
        if error and row["inserted"]:
            await self.pool.execute(q("mark_message"), inp.message_id, status, error)
        return str(row["status"])

    @activity.defn(name="send_message")
    @counted_sends
    async def send_message(self, inp: SendInput) -> SendResult:
        result = await self._send(inp)
        if inp.send_time is not None:  # which side of the uplift measure the row is on
            await self.pool.execute(q("mark_send_time_group"), inp.message_id, inp.send_time)
        return result

    async def _send(self, inp: SendInput) -> SendResult:
        if inp.steps is not None:  # the step ledger rides along (activities/steplog.py)
            await write_batch(self.pool, inp.steps)
        try:
            template = await self.template(inp.template)
            if template is None:
                raise ExpressionError(f"template {inp.template!r} does not exist")
            rendered = await self._render(inp, template)
        except (ExpressionError, AddressError) as exc:
            await self._claim_plain(inp, "failed", None, error=str(exc))
            return SendResult(message_id=inp.message_id, status="failed", error=str(exc))
        if inp.dry_run:  # recorded, rendered, not performed
            await self._claim_plain(inp, "dry_run", rendered)
            return SendResult(message_id=inp.message_id, status="skipped")
        out = _outgoing(inp, template, rendered)
        # A local channel's delivery is a database write in the ledger row's transaction
        # (log: the row itself; in_app: the inbox item); a retry finds the row.
        channel = self.channel(inp.channel)
        go = "sent" if channel.local else "sending"
        missing = None if rendered.recipient else channel.missing
        deliver = _writer(channel, out) if channel.local else None
        claim = await claim_with_rules(self.pool, out, go, missing, deliver)
        if claim.status != "sending":  # skipped, or a previous attempt finished: never twice
            return _result(inp, claim.status, claim.reason)
        return await self._deliver(inp, rendered)

    async def _deliver(self, inp: SendInput, rendered: Rendered) -> SendResult:
        try:
            async with Heartbeat():
                await self.call_provider(Delivery.of(inp), rendered)
        except ChannelError as exc:
            final = last_attempt()
            if exc.retryable and final is None:
                raise ApplicationError(str(exc), type="ChannelRetryable") from exc
            if exc.retryable and final is not None:
                exc = ChannelError(gave_up(exc, final), retryable=False)
            await self.record_final_failure(inp.channel, inp.message_id, rendered, exc)
            return SendResult(message_id=inp.message_id, status="failed", error=str(exc))
        await self.pool.execute(q("mark_message"), inp.message_id, "sent", None)
        return SendResult(message_id=inp.message_id, status="sent")

    async def call_provider(self, d: Delivery, rendered: Rendered) -> None:
        """The provider call of one claimed message; ChannelError says retry or give up."""
        await self.channel(d.channel).send(d, rendered)

    async def record_final_failure(
        self, channel: str, message_id: str, rendered: Rendered, exc: ChannelError
    ) -> None:
        """A send that failed for good: the ledger says why; a hard bounce is suppressed."""
        if exc.hard_bounce and rendered.recipient:
            await self.pool.execute(
                q("suppress_address"), channel, rendered.recipient, "hard_bounce", str(exc)
            )
        await self.pool.execute(q("mark_message"), message_id, "failed", str(exc))


def _outgoing(inp: SendInput, template: asyncpg.Record, rendered: Rendered) -> Outgoing:
    """The message as the rules and the ledger see it."""
    return Outgoing(
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
        locale=rendered.locale,
        topic=template["topic"],
        transactional=template["transactional"],
        entity_type=inp.entity.type if inp.entity else None,
        entity_key=inp.entity.key if inp.entity else None,
    )


def _writer(channel: Channel, out: Outgoing) -> Callable[[Any], Awaitable[None]]:
    """A local channel's delivery of this message, written with its ledger row."""

    async def write(conn: Any) -> None:
        await channel.write(conn, [out])

    return write


def _result(inp: SendInput, status: str, reason: str | None = None) -> SendResult:
    """A ledger status as the interpreter knows it (a dry run reads as skipped)."""
    known = status if status in ("sent", "failed", "skipped") else "skipped"
    return SendResult.model_validate(
        {"message_id": inp.message_id, "status": known, "reason": reason}
    )
