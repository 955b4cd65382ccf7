"""Campaign run activities: the audience snapshot, batch sends and the run's end.

A batch is hundreds of profiles in one activity (architecture decision 9): their profiles in
one query, rendering in memory, the rules for all of them in one query and their ledger
rows in one statement (`activities.rules.claim_batch_with_rules`), then the provider calls
with connection reuse. Message ids are uuid5(campaign run, profile), so a batch retried
after a crash finds its rows, keeps their outcome and never sends twice.

A campaign with `per` sends one message per matching related record (a booking) instead:
each chunk's records are read in one query, each message is rendered with its `entity`,
and its id is uuid5(campaign run, profile, entity type, key), so a retry finds each
booking's row. A retry reads the records again: a booking added in between gets its
message, none gets a second one.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.attempts import gave_up, last_attempt
from activities.channels.base import AddressError, ChannelError, Delivery, Rendered
from activities.heartbeat import Heartbeat
from activities.messages import MessageActivities
from activities.rules import Claim, Outgoing, claim_batch_with_rules
from campaigns.plan import (
    campaign_decision_request,
    campaign_message_id,
    local_due_times,
    parse_local_time,
    weighted_pick,
)
from content.fragments import Fragment
from core.campaign_contracts import (
    BatchInput,
    BatchResult,
    Branch,
    CampaignSendTime,
    CampaignSpec,
    FinishRunInput,
    SendTriggeredInput,
    SendTriggeredResult,
    StartRunInput,
    StartRunResult,
    TriggerRequest,
    Wave,
)
from core.metrics import count_messages
from db.sql import q
from entities.selection import PerEntity
from journeys.expressions import ExpressionError, aware, compile_expression
from journeys.model import Profile
from services import decisions
from services.decisions import DecisionRequest
from services.engagement import member_send_times
from services.entity_selection import select_records
from services.errors import Invalid, NotFound


@dataclass(frozen=True)
class EntityItem:
    """The record one per-entity message is for: its type, key text and template scope."""

    type: str
    key: str
    scope: dict[str, Any]


Item = tuple[asyncpg.Record, EntityItem | None]


class CampaignActivities:
    def __init__(
        self, pool: asyncpg.Pool, messages: MessageActivities, delivery_concurrency: int = 32
    ) -> None:
        self.pool = pool
        self.messages = messages
        self.delivery_concurrency = delivery_concurrency

    @activity.defn(name="start_campaign_run")
    async def start_run(self, inp: StartRunInput) -> StartRunResult:
        """Record the run and snapshot its members once; a retry finds the snapshot."""
        spec = inp.spec
        await self.pool.execute(
            q("insert_campaign_run"), spec.campaign_id, inp.run_id, inp.workflow_id, "running"
        )
        async with (
            self.pool.acquire() as conn,
            conn.transaction(isolation="repeatable_read"),
        ):
            done = await conn.fetchval(q("campaign_run_snapshotted"), spec.campaign_id, inp.run_id)
            if not done:
                await self._snapshot(conn, inp)
            waves = [
                Wave(due_at=r["due_at"], first_seq=r["first_seq"], end_seq=r["end_seq"])
                for r in await conn.fetch(q("campaign_run_waves"), spec.campaign_id, inp.run_id)
            ]
        total = waves[-1].end_seq if waves else 0
        await self.pool.execute(q("set_campaign_run_total"), spec.campaign_id, inp.run_id, total)
        return StartRunResult(total=total, waves=waves)

    async def _snapshot(self, conn: Any, inp: StartRunInput) -> None:
        spec = inp.spec
        if spec.send_time is not None:
            await self._snapshot_timed(conn, inp, spec.send_time)
            return
        listed = inp.profile_ids is not None
        zones: list[str | None] = []
        dues: list[Any] = []
        if spec.local_time:
            rows = await (
                conn.fetch(q("listed_timezones"), inp.profile_ids)
                if listed
                else conn.fetch(q("audience_timezones"), spec.audience_id)
            )
            planned = local_due_times(
                [r["timezone"] for r in rows],
                parse_local_time(spec.local_time),
                aware(inp.now),
                spec.default_timezone,
            )
            zones, dues = list(planned), list(planned.values())
        if listed:
            await conn.execute(
                q("snapshot_listed"), spec.campaign_id, inp.run_id, inp.profile_ids, zones, dues
            )
        else:
            await conn.execute(
                q("snapshot_audience"),
                spec.campaign_id,
                inp.run_id,
                spec.audience_id,
                zones,
                dues,
            )

    async def _snapshot_timed(
        self, conn: Any, inp: StartRunInput, timing: CampaignSendTime
    ) -> None:
        """Each member at its own best hour (hourly waves), a hashed holdout at once."""
        spec = inp.spec
        rows = await (
            conn.fetch(q("listed_engagement"), inp.profile_ids, timing.optimize)
            if inp.profile_ids is not None
            else conn.fetch(q("audience_engagement"), spec.audience_id, timing.optimize)
        )
        members = await member_send_times(
            conn,
            rows,
            timing.optimize,
            timedelta(seconds=timing.within_seconds),
            timing.holdout,
            f"{spec.campaign_id}:{inp.run_id}",
            aware(inp.now),
        )
        await conn.execute(
            q("snapshot_timed"),
            spec.campaign_id,
            inp.run_id,
            [m.profile_id for m in members],
            [m.due_at for m in members],
            [m.group for m in members],
        )

    @activity.defn(name="finish_campaign_run")
    async def finish_run(self, inp: FinishRunInput) -> None:
        if inp.status == "cancelled":  # its batches are over (the workflow waited for them)
            await self.pool.execute(q("fail_cancelled_sends"), inp.campaign_id, inp.run_id)
        await self.pool.execute(
            q("finish_campaign_run"),
            inp.campaign_id,
            inp.run_id,
            inp.status,
            inp.total,
            inp.finished_at,
        )

    @activity.defn(name="send_triggered")
    async def send_triggered(self, inp: SendTriggeredInput) -> SendTriggeredResult:
        """Requests of API-triggered runs, each its own run, all sent together.

        Run as a local activity of the campaign's trigger inbox, so a request costs its
        signal and a share of one workflow task, not a workflow of its own. The requests
        share their database work: one profile query, one rules query and one ledger
        statement per template, one statement finishing the runs.
        """
        wanted = sorted({p for r in inp.requests for p in r.profile_ids})
        rows = await self.pool.fetch(q("listed_members"), wanted)
        members = {r["profile_id"]: r for r in rows}
        results: dict[str, BatchResult] = {}
        plain: dict[str, list[TriggerRequest]] = {}
        for req in inp.requests:
            if req.spec.branches or req.spec.per:  # per profile: one request at a time
                listed = [members[p] for p in sorted(set(req.profile_ids))]
                results[req.run_id] = await self._send_members(_batch(inp, req, listed), listed)
            else:
                plain.setdefault(req.spec.model_dump_json(), []).append(req)
        for group in plain.values():
            results.update(await self._send_triggered_group(inp, group, members))
        await self.pool.execute(
            q("finish_campaign_runs"),
            inp.requests[0].spec.campaign_id,
            [r.run_id for r in inp.requests],
            [results[r.run_id].processed for r in inp.requests],
            datetime.now(UTC),
        )
        return SendTriggeredResult(runs={r.run_id: results[r.run_id] for r in inp.requests})

    async def _send_triggered_group(
        self,
        inp: SendTriggeredInput,
        requests: list[TriggerRequest],
        members: Mapping[str, asyncpg.Record],
    ) -> dict[str, BatchResult]:
        """Requests with one spec (one channel and template): rendered one by one, then
        claimed and delivered as one batch. No snapshot table: the message id
        uuid5(campaign, run, profile) alone makes a retried request idempotent."""
        spec = requests[0].spec
        view = _template_view(spec, await self.messages.template(spec.template))
        fragments = await self._fragments(spec.channel, view)
        per_run: dict[str, list[Outgoing]] = {}
        outs: list[Outgoing] = []
        rendered: dict[str, Rendered] = {}
        for req in requests:
            listed = [members[p] for p in sorted(set(req.profile_ids))]
            batch = _batch(inp, req, listed)
            mine = per_run[req.run_id] = []
            offers = await self._offers(batch, spec, listed)
            for member in listed:
                decided = offers.get(member["profile_id"], {})
                out, message = await self._prepare(
                    batch, spec, view, fragments, (member, None), None, None, decided
                )
                mine.append(out)
                if message is not None:
                    rendered[out.message_id] = message
            outs.extend(mine)
        claims = await self._claim(spec.channel, outs)
        statuses = {mid: claim.status for mid, claim in claims.items()}
        if not self.messages.channel(spec.channel).local:
            todo = [o for o in outs if statuses[o.message_id] == "sending"]
            statuses.update(await self._deliver(todo, rendered))
        count_messages(spec.channel, _decided(outs, claims, statuses))
        return {run: _tally(mine, claims, statuses) for run, mine in per_run.items()}

    @activity.defn(name="send_campaign_batch")
    async def send_batch(self, inp: BatchInput) -> BatchResult:
        _heartbeat()
        members = await self.pool.fetch(
            q("campaign_batch_members"),
            inp.spec.campaign_id,
            inp.run_id,
            inp.first_seq,
            inp.end_seq,
        )
        result = await self._send_members(inp, members)
        if inp.spec.send_time is not None and inp.phase == "main":
            await self._mark_groups(inp, members)
        if inp.spec.per is not None and inp.phase == "main":  # the run's `remaining` counts it
            await self.pool.execute(
                q("mark_campaign_batch_done"),
                inp.spec.campaign_id,
                inp.run_id,
                inp.first_seq,
                len(members),
            )
        return result

    async def _mark_groups(self, inp: BatchInput, members: list[asyncpg.Record]) -> None:
        """Each message row says its member's send-time group, for the uplift report."""
        grouped = [m for m in members if m["send_time"] is not None]
        ids = [
            campaign_message_id(inp.spec.campaign_id, inp.run_id, m["profile_id"]) for m in grouped
        ]
        await self.pool.execute(q("mark_send_time_groups"), ids, [m["send_time"] for m in grouped])

    async def _send_members(self, inp: BatchInput, members: list[asyncpg.Record]) -> BatchResult:
        spec = inp.spec
        if inp.phase == "follow_up":
            if spec.follow_up is None:
                return BatchResult(processed=len(members))
            step = spec.follow_up
            targets = await self._not_reacted(inp, members, step.unless)
            result = await self._send_group(
                inp, step.channel, step.template, targets, step="follow_up", node="follow_up"
            )
            return result.model_copy(update={"processed": len(members)})
        if not spec.branches:
            return await self._send_group(inp, spec.channel, spec.template, members)
        groups, unmatched = self._split(inp, members)
        results = [
            await self._send_group(inp, branch.channel, branch.template, group, node=branch.name)
            for branch, group in groups
        ]
        merged = _merge(results, processed=len(members))
        if unmatched:
            merged.skipped["no branch matched"] = unmatched
        return merged

    def _split(
        self, inp: BatchInput, members: list[asyncpg.Record]
    ) -> tuple[list[tuple[Branch, list[asyncpg.Record]]], int]:
        """Members by branch: the first `when` that holds (rules), else a stable share."""
        spec = inp.spec
        groups: list[list[asyncpg.Record]] = [[] for _ in spec.branches]
        unmatched = 0
        by_rule = any(b.when for b in spec.branches)
        for member in members:
            index: int | None
            if by_rule:
                ctx = _context(spec, inp, _profile(member), {})
                index = next(
                    (i for i, b in enumerate(spec.branches) if _holds(b.when, ctx)),
                    None,
                )
            else:
                weights = [b.weight or 0 for b in spec.branches]
                index = weighted_pick(weights, f"{spec.campaign_id}|{member['profile_id']}")
            if index is None:
                unmatched += 1
            else:
                groups[index].append(member)
        return [(b, g) for b, g in zip(spec.branches, groups, strict=True) if g], unmatched

    async def _not_reacted(
        self, inp: BatchInput, members: list[asyncpg.Record], unless: str
    ) -> list[asyncpg.Record]:
        """Members whose first message went out and who did not open (or click) it."""
        spec = inp.spec
        first = {
            campaign_message_id(spec.campaign_id, inp.run_id, m["profile_id"]): m for m in members
        }
        rows = await self.pool.fetch(q("campaign_not_reacted"), list(first), f"message.{unless}")
        return [first[r["message_id"]] for r in rows]

    async def _send_group(
        self,
        inp: BatchInput,
        channel: str,
        template_name: str,
        members: list[asyncpg.Record],
        *,
        step: str | None = None,
        node: str | None = None,
    ) -> BatchResult:
        """One message (channel and template) to these members, as a pipeline of chunks.

        Each chunk is rendered, claimed under the rules in one statement, and handed to the
        provider while the next chunk renders, so a large batch does not hold its SMTP
        connections idle while it renders. Every chunk's provider calls finish before this
        returns.
        """
        if not members:
            return BatchResult(processed=0)
        spec = inp.spec.model_copy(update={"channel": channel, "template": template_name})
        template = await self.messages.template(template_name)
        view = _template_view(spec, template)
        fragments = await self._fragments(channel, view)
        outs: list[Outgoing] = []
        claims: dict[str, Claim] = {}
        statuses: dict[str, str] = {}
        deliveries: list[asyncio.Task[dict[str, str]]] = []
        without = 0
        try:
            for first in range(0, len(members), PIPELINE_CHUNK):
                if len(deliveries) >= PIPELINE_DEPTH:  # render no further ahead than this
                    await asyncio.wait([deliveries[-PIPELINE_DEPTH]])
                chunk = members[first : first + PIPELINE_CHUNK]
                items = await self._items(inp, spec.per, chunk)
                without += len(
                    {m["profile_id"] for m in chunk} - {m["profile_id"] for m, _ in items}
                )
                chunk_outs, rendered = await self._render_chunk(
                    inp, spec, view, fragments, items, step, node
                )
                _heartbeat()
                chunk_claims = await self._claim(channel, chunk_outs)
                outs += chunk_outs
                claims.update(chunk_claims)
                statuses.update((mid, claim.status) for mid, claim in chunk_claims.items())
                todo = [o for o in chunk_outs if statuses[o.message_id] == "sending"]
                if todo:
                    deliveries.append(asyncio.create_task(self._deliver(todo, rendered)))
        finally:
            outcomes = await asyncio.gather(*deliveries, return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome  # after every chunk finished: the retry resends only the rest
            statuses.update(outcome)
        count_messages(channel, _decided(outs, claims, statuses))
        result = _tally(outs, claims, statuses)
        if spec.per is not None:
            result.processed = len(members)
            if without:
                result.skipped[f"no matching {spec.per.entity}"] = without
        if node is not None and result.sent:
            result.branches[node] = result.sent
        return result

    async def _items(
        self, inp: BatchInput, per: PerEntity | None, members: list[asyncpg.Record]
    ) -> list[Item]:
        """What to send: each member once, or (with `per`) once per matching record."""
        if per is None:
            return [(m, None) for m in members]
        ids = [m["profile_id"] for m in members]
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                found = await select_records(conn, per, ids, aware(inp.now))
        except Invalid as exc:
            raise ApplicationError(str(exc), type="PerEntity", non_retryable=True) from None
        return [(members[r.member], EntityItem(per.entity, r.key, r.scope)) for r in found]

    async def _render_chunk(
        self,
        inp: BatchInput,
        spec: CampaignSpec,
        view: Mapping[str, Any] | str,
        fragments: Mapping[str, Fragment],
        items: list[Item],
        step: str | None,
        node: str | None,
    ) -> tuple[list[Outgoing], dict[str, Rendered]]:
        outs: list[Outgoing] = []
        rendered: dict[str, Rendered] = {}
        members = list({m["profile_id"]: m for m, _ in items}.values())
        offers = await self._offers(inp, spec, members)
        for i, item in enumerate(items, 1):
            decided = offers.get(item[0]["profile_id"], {})
            out, message = await self._prepare(
                inp, spec, view, fragments, item, step, node, decided
            )
            outs.append(out)
            if message is not None:
                rendered[out.message_id] = message
            if i % RENDER_SLICE == 0:
                await asyncio.sleep(0)  # let replies of earlier chunks' sends be read
        return outs, rendered

    async def _offers(
        self, inp: BatchInput, spec: CampaignSpec, members: list[asyncpg.Record]
    ) -> dict[str, dict[str, Any] | str]:
        """Each member's propositions by policy (or why it could not be decided), asked a
        few members at a time. The request id is the (run, member, policy): a retried
        batch, and a follow-up step, answer what was recorded rather than decide again."""
        if not spec.decisions:
            return {}
        gate = asyncio.Semaphore(DECIDE_CONCURRENCY)

        async def one(profile_id: str) -> tuple[str, dict[str, Any] | str]:
            async with gate:
                return profile_id, await self._decide(inp, spec, profile_id)

        return dict(await asyncio.gather(*(one(m["profile_id"]) for m in members)))

    async def _decide(
        self, inp: BatchInput, spec: CampaignSpec, profile_id: str
    ) -> dict[str, Any] | str:
        found: dict[str, Any] = {}
        context = {"campaign": {"id": spec.campaign_id, "run": inp.run_id}}
        for policy in spec.decisions:
            request_id = campaign_decision_request(spec.campaign_id, inp.run_id, profile_id, policy)
            request = DecisionRequest(policy, profile_id, request_id, context=context)
            try:
                proposition = await decisions.propose(self.pool, request, datetime.now(UTC))
            except NotFound as exc:
                return f"{exc.message} does not exist"
            found[policy] = decisions.as_vars(proposition)
        return found

    async def _fragments(
        self, channel: str, view: Mapping[str, Any] | str
    ) -> Mapping[str, Fragment]:
        """The fragments of one batch's renders (none for a template that cannot be used)."""
        return {} if isinstance(view, str) else await self.messages.fragments(channel, view)

    async def _claim(self, channel: str, outs: list[Outgoing]) -> Mapping[str, Claim]:
        """Ledger rows under the rules; a local channel's message is delivered right here."""
        chan = self.messages.channel(channel)
        deliver = chan.write if chan.local else None
        return await claim_batch_with_rules(
            self.pool, outs, "sent" if chan.local else "sending", deliver
        )

    async def _prepare(
        self,
        inp: BatchInput,
        spec: CampaignSpec,
        view: Mapping[str, Any] | str,
        fragments: Mapping[str, Fragment],
        item: Item,
        step: str | None,
        node: str | None,
        decided: Mapping[str, Any] | str,
    ) -> tuple[Outgoing, Rendered | None]:
        """Render one member's message (for one record with `per`); a template, decision or
        stored-address problem is that message's failure."""
        member, entity = item
        profile = _profile(member)
        message_id = campaign_message_id(
            spec.campaign_id,
            inp.run_id,
            profile.profile_id,
            step,
            None if entity is None else (entity.type, entity.key),
        )
        message: Rendered | None = None
        error = view if isinstance(view, str) else decided if isinstance(decided, str) else None
        if not isinstance(view, str) and not isinstance(decided, str):
            ctx = _context(spec, inp, profile, decided)
            ctx["entity"] = {} if entity is None else entity.scope
            try:
                message = await self.messages.render(
                    spec.channel, spec.template, view, ctx, profile, message_id, None, fragments
                )
            except (ExpressionError, AddressError) as exc:
                error = str(exc)
        transactional = bool(view["transactional"]) if not isinstance(view, str) else False
        topic = view["topic"] if not isinstance(view, str) else spec.topic
        out = Outgoing(
            message_id=message_id,
            profile_id=profile.profile_id,
            journey_id=None,
            version=None,
            node_id=node or "",
            workflow_id=inp.workflow_id,
            channel=spec.channel,
            template=spec.template,
            recipient=message.recipient if message else None,
            subject=message.subject if message else None,
            body=message.body if message else None,
            locale=message.locale if message else None,
            topic=topic,
            transactional=transactional,
            campaign_id=spec.campaign_id,
            campaign_run=inp.run_id,
            error=error,
            # Transactional campaigns bypass caps and topics, never the channel's consent.
            channel_consent=True,
            pre_skip=(
                None
                if message is None or message.recipient
                else self.messages.channel(spec.channel).missing
            ),
            entity_type=None if entity is None else entity.type,
            entity_key=None if entity is None else entity.key,
        )
        return out, message

    async def _deliver(
        self, todo: list[Outgoing], rendered: Mapping[str, Rendered]
    ) -> dict[str, str]:
        """Provider calls for the claimed messages, several at once on reused connections.

        Successes are marked in one statement; final failures are recorded one by one. If
        any failure is retryable, the batch raises after recording the rest: Temporal retries
        it, and the retry finds every finished row and calls the provider only for those left.
        On the last attempt the send retry policy allows (core/retries.py), a retryable
        failure is final too: the message fails with the provider's reason.
        """
        errors: dict[str, ChannelError] = {}
        queue = iter(todo)

        async def sender() -> None:
            """Takes the next message until none is left: a few such loops instead of one
            task per message and a semaphore each has to pass."""
            for out in queue:
                campaign = {"id": out.campaign_id, "run": out.campaign_run}
                delivery = Delivery(
                    out.message_id, out.channel, out.profile_id, campaign=campaign, node_id=None
                )
                try:
                    await self.messages.call_provider(delivery, rendered[out.message_id])
                except ChannelError as exc:
                    errors[out.message_id] = exc

        async with Heartbeat():
            await asyncio.gather(
                *(sender() for _ in range(min(self.delivery_concurrency, len(todo))))
            )
        sent = [o.message_id for o in todo if o.message_id not in errors]
        if sent:
            await self.pool.execute(q("mark_messages_sent"), sent)
        statuses = dict.fromkeys(sent, "sent")
        retry: list[str] = []
        final = last_attempt()
        for out in todo:
            err = errors.get(out.message_id)
            if err is None:
                continue
            if err.retryable and final is None:
                retry.append(f"{out.profile_id}: {err}")
                continue
            if err.retryable and final is not None:
                err = ChannelError(gave_up(err, final), retryable=False)
            message = rendered[out.message_id]
            await self.messages.record_final_failure(out.channel, out.message_id, message, err)
            statuses[out.message_id] = "failed"
        if retry:
            raise ApplicationError(
                f"{len(retry)} sends to retry, e.g. {retry[0]}", type="ChannelRetryable"
            )
        return statuses


# Members decided at a time when a campaign asks decision policies: each proposition is a
# short transaction of its own (caps are taken in it), so a few share the pool.
DECIDE_CONCURRENCY = 8
# Members rendered between two looks at the event loop.
RENDER_SLICE = 16
# Members rendered, claimed and handed to the provider at a time. A batch larger than this
# (up to 5,000) pipelines chunk by chunk; a default batch (500) is one chunk, and the
# campaign's batch window overlaps one batch's rendering with others' sending. Chunks of
# 100 and 250 measured no better in bench/email_throughput.py: more claim statements.
PIPELINE_CHUNK = 500
# Chunks handed to the provider and not yet sent, per batch: rendering runs faster than
# SMTP, and without a bound whole batches would wait rendered in memory.
PIPELINE_DEPTH = 2


def _batch(
    inp: SendTriggeredInput, req: TriggerRequest, listed: list[asyncpg.Record]
) -> BatchInput:
    return BatchInput(
        spec=req.spec,
        run_id=req.run_id,
        workflow_id=inp.workflow_id,
        first_seq=0,
        end_seq=len(listed),
        vars=req.vars,
        now=inp.now,
    )


def _heartbeat() -> None:
    """A killed worker's batch is retried once the heartbeat timeout passes, not minutes."""
    if activity.in_activity():
        activity.heartbeat()


def _template_view(spec: CampaignSpec, template: asyncpg.Record | None) -> Mapping[str, Any] | str:
    """The template as the campaign uses it (its topic and marketing/transactional kind),
    or why it cannot be used."""
    if template is None:
        return f"template {spec.template!r} does not exist"
    if template["channel"] != spec.channel:
        return f"template {spec.template!r} is for channel {template['channel']}"
    view = dict(template)
    view["topic"] = spec.topic or template["topic"]
    # Transactional only when both the campaign and its template say so (never by accident).
    view["transactional"] = spec.transactional and bool(template["transactional"])
    return view


def _context(
    spec: CampaignSpec, inp: BatchInput, profile: Profile, decided: Mapping[str, Any]
) -> dict[str, Any]:
    """Template names of a campaign message; journey-only names are empty. The member's
    propositions sit in `vars` under their policy ids, where `decide()` finds them."""
    return {
        "profile": {
            "profile_id": profile.profile_id,
            "email": profile.email,
            "phone": profile.phone,
            "timezone": profile.timezone,
            "attributes": profile.attributes,
            "locale": profile.locale,
        },
        "campaign": {"id": spec.campaign_id, "name": spec.name, "run": inp.run_id},
        "vars": {**inp.vars, **decided} if decided else inp.vars,
        "now": aware(inp.now),
        "event": {},
        "events": {},
        "journey": {},
    }


def _holds(when: str | None, ctx: Mapping[str, Any]) -> bool:
    """A branch rule for one profile; one that cannot be evaluated for this profile (an
    attribute it lacks, under strict undefined) does not hold, rather than failing the
    whole batch over and over."""
    if when is None:
        return True
    try:
        return bool(compile_expression(when).evaluate(ctx))
    except ExpressionError:
        return False


def _profile(member: asyncpg.Record) -> Profile:
    """Every field given: for a missing one with a default_factory, model_construct
    inspects the factory's signature each time (a fifth of a batch's CPU in py-spy)."""
    return Profile.model_construct(
        profile_id=member["profile_id"],
        email=member["email"],
        phone=member["phone"],
        timezone=member["timezone"],
        attributes=member["attributes"] or {},
        audiences=[],
    )


def _merge(results: list[BatchResult], processed: int) -> BatchResult:
    skipped: Counter[str] = Counter()
    branches: Counter[str] = Counter()
    for r in results:
        skipped.update(r.skipped)
        branches.update(r.branches)
    return BatchResult(
        processed=processed,
        sent=sum(r.sent for r in results),
        failed=sum(r.failed for r in results),
        skipped=dict(skipped),
        branches=dict(branches),
    )


def _decided(
    outs: list[Outgoing], claims: Mapping[str, Claim], statuses: Mapping[str, str]
) -> Iterator[str]:
    """The outcome of each message decided by this attempt (for wayline_messages_total):
    those it claimed, and those an earlier attempt left `sending` that it sent or failed."""
    for out in outs:
        claim, status = claims[out.message_id], statuses[out.message_id]
        if claim.inserted or (claim.status == "sending" and status in ("sent", "failed")):
            yield status if status in ("sent", "failed") else "skipped"


def _tally(
    outs: list[Outgoing], claims: Mapping[str, Claim], statuses: Mapping[str, str]
) -> BatchResult:
    sent = failed = 0
    skipped: Counter[str] = Counter()
    for out in outs:
        status = statuses[out.message_id]
        if status == "sent":
            sent += 1
        elif status == "failed":
            failed += 1
        else:
            skipped[claims[out.message_id].reason or status] += 1
    return BatchResult(processed=len(outs), sent=sent, failed=failed, skipped=dict(skipped))
