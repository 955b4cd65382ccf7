"""The rules every send obeys, checked in one place before any provider call.

Consent (per channel and per topic), the suppression list and frequency caps are read and
the ledger row is written in one transaction. For marketing sends the transaction first
takes an advisory lock on (profile, channel), so the cap count and the insert are atomic:
two parallel journeys cannot both pass a cap. A retried send finds its ledger row and keeps
the outcome of its first attempt; the rules are not judged twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from contacts.send_rules import SendFacts, skip_reason
from db.sql import q

NO_RECIPIENT = "no recipient address"


@dataclass(frozen=True)
class Claim:
    """The ledger row's status after the claim, and whether this call wrote it."""

    status: str
    reason: str | None
    inserted: bool


@dataclass(frozen=True)
class Outgoing:
    """The ledger fields of one send (SendInput plus what rendering produced)."""

    message_id: str
    profile_id: str
    journey_id: str | None
    version: int | None
    node_id: str
    workflow_id: str
    channel: str
    template: str
    recipient: str | None
    subject: str | None
    body: str | None
    topic: str | None
    transactional: bool
    campaign_id: str | None = None
    campaign_run: str | None = None
    error: str | None = None  # a send that failed before the rules (template error)
    pre_skip: str | None = None  # a reason found before the database (no address)
    channel_consent: bool = False  # see SendFacts.channel_consent
    locale: str | None = None  # the template's locale variant rendered (content/locales.py)
    entity_type: str | None = None  # a per-entity message: the record it is for
    entity_key: str | None = None


async def claim_with_rules(
    pool: asyncpg.Pool,
    out: Outgoing,
    go_status: str,
    pre_skip: str | None = None,
    deliver: Callable[[Any], Awaitable[object]] | None = None,
) -> Claim:
    """Check the rules and write the ledger row: `go_status` if allowed, else 'skipped'.

    `pre_skip` is a reason found before the database (no address): recorded as is.
    `deliver(conn)` runs in the same transaction when the send is allowed: a channel whose
    delivery is a database write (the in-app inbox) delivers atomically with its ledger row.
    """
    async with pool.acquire() as conn, conn.transaction():
        if not out.transactional:
            await conn.execute(q("lock_profile_channel"), out.profile_id, out.channel)
        row = await conn.fetchrow(
            q("send_facts"), out.message_id, out.profile_id, out.channel, out.topic, out.recipient
        )
        assert row is not None
        if row["existing"] is not None:  # a retry: the first attempt's outcome stands
            return await _insert(conn, out, row["existing"], None)
        reason = pre_skip or skip_reason(_facts(out, row))
        claim = await _insert(conn, out, "skipped" if reason else go_status, reason)
        if deliver is not None and claim.inserted and not reason:
            await deliver(conn)
        return claim


def _facts(out: Outgoing, row: Any, earlier: int = 0) -> SendFacts:
    """The rules' view of one send, from a `send_facts` or `batch_send_facts` row;
    `earlier` are the messages to the same profile this claim allowed before it."""
    return SendFacts(
        channel=out.channel,
        topic=out.topic,
        transactional=out.transactional,
        channel_unsubscribed=row["channel_unsubscribed"],
        topic_unsubscribed=row["topic_unsubscribed"],
        suppressed=row["suppressed"],
        cap_max=row["cap_max"],
        cap_period=row["cap_period"],
        cap_used=(row["cap_used"] or 0) + earlier,
        channel_consent=out.channel_consent,
    )


async def _insert(conn: Any, out: Outgoing, status: str, reason: str | None) -> Claim:
    row = await conn.fetchrow(
        q("claim_ruled_message"),
        out.message_id,
        out.profile_id,
        out.journey_id,
        out.version,
        out.node_id,
        out.workflow_id,
        out.channel,
        out.template,
        status,
        out.recipient,
        out.subject,
        out.body,
        reason,
        out.transactional,
        out.locale,
        out.entity_type,
        out.entity_key,
    )
    assert row is not None
    return Claim(status=row["status"], reason=row["reason"], inserted=row["inserted"])


async def claim_batch_with_rules(
    pool: asyncpg.Pool,
    outs: Sequence[Outgoing],
    go_status: str,
    deliver: Callable[[Any, list[Outgoing]], Awaitable[object]] | None = None,
) -> dict[str, Claim]:
    """`claim_with_rules` for a batch of one channel and topic: one facts query, one insert.

    The same `skip_reason` judges each send. A profile may have several sends in one claim
    (one per booking, decision 24): each counts as one message against the cap, in input
    order, so the sends the cap allows are the first ones; a row an earlier attempt wrote is
    counted by the ledger already, not again. Marketing sends on a capped channel take the
    (profile, channel) advisory locks first, in a fixed order, so a journey sending to the
    same profile at the same instant cannot pass the cap with the batch. A retried batch
    finds its rows (ON CONFLICT) and keeps their first outcome. `deliver(conn, allowed)`
    runs in the same transaction with the rows this call inserted as allowed.
    """
    if not outs:
        return {}
    first = outs[0]
    if any(
        (o.channel, o.topic, o.node_id) != (first.channel, first.topic, first.node_id) for o in outs
    ):
        raise ValueError("a batch claim needs one channel, topic and node")
    profiles = [o.profile_id for o in outs]
    async with pool.acquire() as conn, conn.transaction():
        if not first.transactional and await conn.fetchval(q("channel_capped"), first.channel):
            await conn.execute(q("lock_profiles_channel"), profiles, first.channel)
        facts = await conn.fetch(
            q("batch_send_facts"),
            profiles,
            [o.recipient for o in outs],
            first.channel,
            first.topic,
            [o.message_id for o in outs],
        )
        statuses, reasons = _judge(outs, facts, go_status)
        rows = await conn.fetch(
            q("claim_campaign_messages"),
            first.workflow_id,
            first.channel,
            first.template,
            first.transactional,
            first.campaign_id,
            [o.campaign_run for o in outs],
            [o.message_id for o in outs],
            profiles,
            statuses,
            [o.recipient for o in outs],
            [o.subject for o in outs],
            [o.body for o in outs],
            [o.error for o in outs],
            reasons,
            first.node_id or None,
            [o.locale for o in outs],
            [o.entity_type for o in outs],
            [o.entity_key for o in outs],
        )
        claims = {
            r["message_id"]: Claim(status=r["status"], reason=r["reason"], inserted=r["inserted"])
            for r in rows
        }
        if deliver is not None:
            fresh = [
                o
                for o in outs
                if claims[o.message_id].inserted and claims[o.message_id].status == go_status
            ]
            if fresh:
                await deliver(conn, fresh)
        return claims


def _judge(
    outs: Sequence[Outgoing], facts: Sequence[Any], go_status: str
) -> tuple[list[str], list[str | None]]:
    """Each send's status and skip reason, the cap counting the sends allowed before it."""
    allowed: Counter[str] = Counter()
    statuses: list[str] = []
    reasons: list[str | None] = []
    for out, row in zip(outs, facts, strict=True):
        reason = None
        if out.error is None:
            earlier = allowed[out.profile_id]
            reason = out.pre_skip or skip_reason(_facts(out, row, earlier))
        status = "failed" if out.error else "skipped" if reason else go_status
        if status == go_status and not out.transactional and not row["existing"]:
            allowed[out.profile_id] += 1
        statuses.append(status)
        reasons.append(reason)
    return statuses, reasons
