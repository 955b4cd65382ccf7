"""Campaign operations: the checks a definition must pass, its Temporal Schedule, its runs.

Handlers only validate the body and shape the answer; the sending is CampaignWorkflow's
(workflows/campaign.py). A definition's checks read what the schema alone cannot know
(templates, audiences), each naming its field.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, Protocol

import asyncpg
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from core.campaign_contracts import CampaignRunInput, RunControl, TriggerRequest
from core.names import campaign_workflow_id
from db.sql import q
from db.types import Executor
from journeys.expressions import ExpressionError, compile_expression
from services.campaign_cache import CAMPAIGNS
from services.campaign_client import (
    new_run_id,
    spec_of,
    start_run,
    sync_schedule,
    transactional_queue,
    trigger_workflow_id,
)
from services.errors import Conflict, FieldProblem, Forbidden, Invalid, NotFound, found
from services.trigger_sender import TriggerSender

FINISHED = ("completed", "cancelled", "failed")


class Message(Protocol):
    """A channel and its template, as a campaign, a branch or a follow-up names them."""

    @property
    def channel(self) -> str: ...
    @property
    def template(self) -> str: ...


class Branch(Message, Protocol):
    @property
    def when(self) -> str | None: ...


class Orchestration(Protocol):
    @property
    def branches(self) -> Sequence[Branch]: ...
    @property
    def follow_up(self) -> Message | None: ...


class Draft(Message, Protocol):
    """What the checks read of a campaign definition; the API's `CampaignUpdate` is one."""

    @property
    def kind(self) -> str: ...
    @property
    def transactional(self) -> bool: ...
    @property
    def audience_id(self) -> str | None: ...
    @property
    def schedule(self) -> object | None: ...
    @property
    def orchestration(self) -> Orchestration | None: ...
    @property
    def delivery(self) -> Delivery: ...


class Delivery(Protocol):
    @property
    def decisions(self) -> Sequence[str]: ...


def approved(row: asyncpg.Record) -> bool:
    return not row["requires_approval"] or row["approved_by"] is not None


def may_run(row: asyncpg.Record) -> None:
    if row["status"] != "active":
        raise Conflict(f"campaign {row['campaign_id']!r} is archived")
    if not approved(row):
        raise Conflict(f"campaign {row['campaign_id']!r} awaits approval")


async def _template_problems(
    conn: Executor, where: str, channel: str, name: str
) -> list[FieldProblem]:
    template = await conn.fetchrow(q("campaign_template"), name)
    if template is None:
        return [FieldProblem(where, f"template {name!r} does not exist")]
    if template["channel"] != channel:
        return [FieldProblem(where, f"template {name!r} is for channel {template['channel']}")]
    return []


async def problems(conn: Executor, draft: Draft) -> list[FieldProblem]:
    """References and combinations the schema alone cannot check, each naming its field."""
    found = await _template_problems(conn, "template", draft.channel, draft.template)
    if not found and draft.transactional:
        template = await conn.fetchrow(q("campaign_template"), draft.template)
        if template is not None and not template["transactional"]:
            found.append(
                FieldProblem(
                    "transactional", f"template {draft.template!r} is not marked transactional"
                )
            )
    found += await _audience_problems(conn, draft)
    found += await _decision_problems(conn, draft.delivery.decisions)
    if draft.kind == "orchestrated":
        if draft.orchestration is None:
            found.append(FieldProblem("orchestration", "an orchestrated campaign needs branches"))
        else:
            found += await _orchestration_problems(conn, draft.orchestration)
    elif draft.orchestration is not None:
        found.append(FieldProblem("orchestration", "only orchestrated campaigns have branches"))
    return found


async def _decision_problems(conn: Executor, policies: Sequence[str]) -> list[FieldProblem]:
    known = set(await conn.fetchval(q("decision_policies_named"), list(policies)) or [])
    return [
        FieldProblem(f"delivery.decisions[{i}]", f"decision policy {p!r} does not exist")
        for i, p in enumerate(policies)
        if p not in known
    ]


async def _audience_problems(conn: Executor, draft: Draft) -> list[FieldProblem]:
    if draft.kind not in ("action", "orchestrated"):
        if draft.schedule is not None:
            return [FieldProblem("schedule", "a triggered campaign runs when the API is called")]
        return []
    if draft.audience_id is None:
        return [FieldProblem("audience_id", f"an {draft.kind} campaign needs an audience")]
    if not await conn.fetchval(q("audience_exists"), draft.audience_id):
        return [FieldProblem("audience_id", f"audience {draft.audience_id!r} does not exist")]
    return []


async def _orchestration_problems(conn: Executor, spec: Orchestration) -> list[FieldProblem]:
    found = []
    for i, branch in enumerate(spec.branches):
        where = f"orchestration.branches[{i}]"
        found += await _template_problems(
            conn, f"{where}.template", branch.channel, branch.template
        )
        if branch.when is not None:
            try:
                compile_expression(branch.when)
            except ExpressionError as exc:
                found.append(FieldProblem(f"{where}.when", str(exc)))
    if spec.follow_up is not None:
        follow = spec.follow_up
        found += await _template_problems(
            conn, "orchestration.follow_up.template", follow.channel, follow.template
        )
    return found


async def _checked(conn: Executor, draft: Draft) -> None:
    if found := await problems(conn, draft):
        raise Invalid(found, "the campaign is invalid")


async def _sync(temporal: Client, task_queue: str, row: asyncpg.Record) -> None:
    """The Temporal Schedule exists only while the campaign is active and approved."""
    schedule = row["schedule"] if row["status"] == "active" and approved(row) else None
    await sync_schedule(temporal, task_queue, spec_of(row), schedule)


async def save(
    pool: asyncpg.Pool,
    temporal: Client,
    task_queue: str,
    campaign_id: str,
    draft: Draft,
    columns: Sequence[Any],
    *,
    new: bool,
) -> asyncpg.Record:
    """Create (`new`) or replace a checked campaign, then make its schedule match.

    `columns` are the definition as `insert_campaign` and `update_campaign` take it; a
    replace withdraws an approval (the query says so)."""
    async with pool.acquire() as conn, conn.transaction():
        await _checked(conn, draft)
        query = "insert_campaign" if new else "update_campaign"
        row = await conn.fetchrow(q(query), campaign_id, *columns)
        CAMPAIGNS.forget(campaign_id)
        if row is None:
            if new:
                raise Conflict(f"campaign {campaign_id!r} exists already")
            raise NotFound(f"campaign {campaign_id!r}")
        await _sync(temporal, task_queue, row)
    return row


async def archive(pool: asyncpg.Pool, temporal: Client, task_queue: str, campaign_id: str) -> None:
    """Archive: the schedule goes; the ledger and past runs stay."""
    async with pool.acquire() as conn, conn.transaction():
        CAMPAIGNS.forget(campaign_id)
        if await conn.fetchval(q("archive_campaign"), campaign_id) is None:
            raise NotFound(f"campaign {campaign_id!r}")
        await _sync(temporal, task_queue, await read(conn, campaign_id))


async def approve(
    pool: asyncpg.Pool, temporal: Client, task_queue: str, campaign_id: str, key_id: uuid.UUID
) -> asyncpg.Record:
    """Approve the campaign as it is now; the key that last changed it cannot."""
    async with pool.acquire() as conn, conn.transaction():
        locked = found(
            await conn.fetchrow(q("lock_campaign"), campaign_id), f"campaign {campaign_id!r}"
        )
        if locked["updated_by"] == key_id:
            raise Forbidden(
                "a second user must approve: this key made the last change to the campaign"
            )
        row = await conn.fetchrow(q("approve_campaign"), campaign_id, key_id)
        CAMPAIGNS.forget(campaign_id)
        assert row is not None
        await _sync(temporal, task_queue, row)
    return row


async def read(conn: Executor, campaign_id: str) -> asyncpg.Record:
    return found(await conn.fetchrow(q("get_campaign"), campaign_id), f"campaign {campaign_id!r}")


async def start(
    pool: asyncpg.Pool,
    temporal: Client,
    task_queue: str,
    campaign_id: str,
    batch_size: int,
    parallel: int,
) -> asyncpg.Record:
    """Start a run of an audience campaign; it snapshots the audience and sends to it."""
    row = await read(pool, campaign_id)
    may_run(row)
    if row["kind"] == "triggered":
        raise Conflict(f"campaign {campaign_id!r} is triggered: POST …/trigger")
    run_id = new_run_id()
    run = await _insert_run(pool, campaign_id, run_id)
    inp = CampaignRunInput(
        spec=spec_of(row), run_id=run_id, batch_size=batch_size, parallel=parallel
    )
    await start_run(temporal, task_queue, inp)
    return run


async def trigger(
    pool: asyncpg.Pool,
    sender: TriggerSender,
    task_queue: str,
    campaign_id: str,
    profile_ids: list[str],
    variables: dict[str, Any],
) -> asyncpg.Record:
    """Send a triggered campaign to these profiles: a run of its own, by `sender`.

    Transactional ones go through their own high-priority task queue."""
    row = found(await CAMPAIGNS.get(pool, campaign_id), f"campaign {campaign_id!r}")
    may_run(row)
    if row["kind"] != "triggered":
        raise Conflict(f"campaign {campaign_id!r} is sent to an audience: POST …/runs")
    run_id = new_run_id()
    run = await _insert_run(pool, campaign_id, run_id, trigger_workflow_id(campaign_id, run_id))
    queue = transactional_queue(task_queue) if row["transactional"] else task_queue
    request = TriggerRequest(
        spec=spec_of(row), run_id=run_id, profile_ids=profile_ids, vars=variables
    )
    await sender.send(queue, request)
    return run


async def _insert_run(
    pool: asyncpg.Pool, campaign_id: str, run_id: str, workflow_id: str | None = None
) -> asyncpg.Record:
    run = await pool.fetchrow(
        q("insert_campaign_run"),
        campaign_id,
        run_id,
        workflow_id or campaign_workflow_id(campaign_id, run_id),
        "starting",
    )
    assert run is not None
    return run


async def read_run(pool: Executor, campaign_id: str, run_id: str) -> asyncpg.Record:
    run = await pool.fetchrow(q("get_campaign_run"), campaign_id, run_id)
    return found(run, f"run {run_id!r} of campaign {campaign_id!r}")


async def control(
    pool: asyncpg.Pool,
    temporal: Client,
    campaign_id: str,
    run_id: str,
    signal: str,
    status: str | None,
) -> asyncpg.Record:
    """Signal a running run (pause, resume, cancel); the answer is the run as it is now."""
    run = await read_run(pool, campaign_id, run_id)
    if run["status"] in FINISHED:
        raise Conflict(f"run {run_id!r} is {run['status']} already")
    try:
        await temporal.get_workflow_handle(run["workflow_id"]).signal(signal, RunControl())
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise Conflict(f"run {run_id!r} is not running") from exc
        raise
    if status is not None:
        await pool.execute(q("set_campaign_run_status"), campaign_id, run_id, status)
    return await read_run(pool, campaign_id, run_id)
