"""Campaigns: definitions (CRUD), runs (send now, progress, pause/resume/cancel), triggers.

Handlers only validate, write the definition and talk to Temporal; the sending is
CampaignWorkflow's (workflows/campaign.py).
"""

from __future__ import annotations

from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Body, Path, Query, Request, Response
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from api.deps import (
    CampaignsApprover,
    CampaignsWriter,
    JsonBody,
    PoolDep,
    Reader,
    SettingsDep,
    TemporalDep,
)
from api.errors import ApiError, FieldError, field, invalid, not_found
from api.keys import Principal
from api.schemas.campaigns import (
    CampaignCreate,
    CampaignPublic,
    CampaignUpdate,
    OrchestrationSpec,
    RunCreate,
    RunPublic,
    TriggerCreate,
)
from api.schemas.common import ERRORS, ID_PATTERN, Page
from core.campaign_contracts import CampaignRunInput, RunControl, TriggerRequest
from core.names import (
    CAMPAIGN_CANCEL_SIGNAL,
    CAMPAIGN_PAUSE_SIGNAL,
    CAMPAIGN_RESUME_SIGNAL,
    campaign_workflow_id,
)
from core.settings import Settings
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
from services.trigger_sender import TriggerSender

router = APIRouter(
    prefix="/campaigns", tags=["campaigns"], dependencies=[JsonBody], responses=ERRORS
)

CampaignIdPath = Annotated[str, Path(pattern=ID_PATTERN, description="Campaign id")]
RunIdPath = Annotated[str, Path(min_length=1, max_length=200, description="Run id")]
FINISHED = ("completed", "cancelled", "failed")


def _public(row: asyncpg.Record) -> CampaignPublic:
    data = dict(row)
    data["id"] = data.pop("campaign_id")
    data["approved"] = _approved(row)
    return CampaignPublic(**data)


def _approved(row: asyncpg.Record) -> bool:
    return not row["requires_approval"] or row["approved_by"] is not None


def _may_run(row: asyncpg.Record) -> None:
    if row["status"] != "active":
        raise ApiError(409, f"campaign {row['campaign_id']!r} is archived")
    if not _approved(row):
        raise ApiError(409, f"campaign {row['campaign_id']!r} awaits approval")


async def _template_problems(
    conn: Executor, where: str, channel: str, name: str
) -> list[FieldError]:
    template = await conn.fetchrow(q("campaign_template"), name)
    if template is None:
        return [field(where, f"template {name!r} does not exist")]
    if template["channel"] != channel:
        return [field(where, f"template {name!r} is for channel {template['channel']}")]
    return []


async def _problems(conn: Executor, body: CampaignUpdate) -> list[FieldError]:
    """References and combinations the schema alone cannot check, each naming its field."""
    problems = await _template_problems(conn, "template", body.channel, body.template)
    if not problems and body.transactional:
        template = await conn.fetchrow(q("campaign_template"), body.template)
        if template is not None and not template["transactional"]:
            problems.append(
                field("transactional", f"template {body.template!r} is not marked transactional")
            )
    if body.kind in ("action", "orchestrated"):
        if body.audience_id is None:
            problems.append(field("audience_id", f"an {body.kind} campaign needs an audience"))
        elif not await conn.fetchval(q("audience_exists"), body.audience_id):
            problems.append(field("audience_id", f"audience {body.audience_id!r} does not exist"))
    elif body.schedule is not None:
        problems.append(field("schedule", "a triggered campaign runs when the API is called"))
    if body.kind == "orchestrated":
        if body.orchestration is None:
            problems.append(field("orchestration", "an orchestrated campaign needs branches"))
        else:
            problems += await _orchestration_problems(conn, body.orchestration)
    elif body.orchestration is not None:
        problems.append(field("orchestration", "only orchestrated campaigns have branches"))
    return problems


async def _orchestration_problems(conn: Executor, spec: OrchestrationSpec) -> list[FieldError]:
    problems = []
    for i, branch in enumerate(spec.branches):
        where = f"orchestration.branches[{i}]"
        problems += await _template_problems(
            conn, f"{where}.template", branch.channel, branch.template
        )
        if branch.when is not None:
            try:
                compile_expression(branch.when)
            except ExpressionError as exc:
                problems.append(field(f"{where}.when", str(exc)))
    if spec.follow_up is not None:
        follow = spec.follow_up
        problems += await _template_problems(
            conn, "orchestration.follow_up.template", follow.channel, follow.template
        )
    return problems


def _values(body: CampaignUpdate, who: Principal) -> list[Any]:
    return [
        body.name,
        body.kind,
        body.audience_id,
        body.channel,
        body.template,
        body.topic,
        body.transactional,
        body.schedule.model_dump(mode="json") if body.schedule else None,
        body.delivery.model_dump(mode="json"),
        body.requires_approval,
        who.key_id,
        body.orchestration.model_dump(mode="json") if body.orchestration else None,
    ]


async def _sync(temporal: Client, settings: Settings, row: asyncpg.Record) -> None:
    """The Temporal Schedule exists only while the campaign is active and approved."""
    schedule = row["schedule"] if row["status"] == "active" and _approved(row) else None
    await sync_schedule(temporal, settings.task_queue, spec_of(row), schedule)


@router.post("", status_code=201)
async def create_campaign(
    body: CampaignCreate,
    pool: PoolDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    who: CampaignsWriter,
) -> CampaignPublic:
    """Create a campaign; with a `schedule`, its Temporal Schedule starts the runs."""
    async with pool.acquire() as conn, conn.transaction():
        if problems := await _problems(conn, body):
            raise invalid(problems, "the campaign is invalid")
        row = await conn.fetchrow(q("insert_campaign"), body.id, *_values(body, who))
        if row is None:
            raise ApiError(409, f"campaign {body.id!r} exists already")
        await _sync(temporal, settings, row)
    return _public(row)


@router.get("")
async def list_campaigns(pool: PoolDep, _: Reader) -> Page[CampaignPublic]:
    """Every campaign, by id."""
    rows = await pool.fetch(q("list_campaigns"))
    return Page(items=[_public(r) for r in rows], count=len(rows))


@router.get("/{campaign_id}")
async def get_campaign(campaign_id: CampaignIdPath, pool: PoolDep, _: Reader) -> CampaignPublic:
    """Read a campaign."""
    return _public(await _campaign(pool, campaign_id))


@router.put("/{campaign_id}")
async def update_campaign(
    campaign_id: CampaignIdPath,
    body: CampaignUpdate,
    pool: PoolDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    who: CampaignsWriter,
) -> CampaignPublic:
    """Replace a campaign's definition; runs already started keep the one they began with.

    A change withdraws an approval (and pauses its schedule until approved again)."""
    async with pool.acquire() as conn, conn.transaction():
        if problems := await _problems(conn, body):
            raise invalid(problems, "the campaign is invalid")
        row = await conn.fetchrow(q("update_campaign"), campaign_id, *_values(body, who))
        CAMPAIGNS.forget(campaign_id)
        if row is None:
            raise not_found(f"campaign {campaign_id!r}")
        await _sync(temporal, settings, row)
    return _public(row)


@router.delete("/{campaign_id}", status_code=204)
async def archive_campaign(
    campaign_id: CampaignIdPath,
    pool: PoolDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    _: CampaignsWriter,
) -> Response:
    """Archive a campaign: its schedule is removed; the ledger and past runs stay."""
    async with pool.acquire() as conn, conn.transaction():
        CAMPAIGNS.forget(campaign_id)
        if await conn.fetchval(q("archive_campaign"), campaign_id) is None:
            raise not_found(f"campaign {campaign_id!r}")
        row = await _campaign(conn, campaign_id)
        await _sync(temporal, settings, row)
    return Response(status_code=204)


@router.post("/{campaign_id}/approve")
async def approve_campaign(
    campaign_id: CampaignIdPath,
    pool: PoolDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    who: CampaignsApprover,
) -> CampaignPublic:
    """Approve the campaign as it is now; the key that last changed it cannot."""
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(q("lock_campaign"), campaign_id)
        if row is None:
            raise not_found(f"campaign {campaign_id!r}")
        if row["updated_by"] == who.key_id:
            raise ApiError(
                403, "a second user must approve: this key made the last change to the campaign"
            )
        row = await conn.fetchrow(q("approve_campaign"), campaign_id, who.key_id)
        CAMPAIGNS.forget(campaign_id)
        assert row is not None
        await _sync(temporal, settings, row)
    return _public(row)


async def _campaign(conn: Executor, campaign_id: str) -> asyncpg.Record:
    row = await conn.fetchrow(q("get_campaign"), campaign_id)
    if row is None:
        raise not_found(f"campaign {campaign_id!r}")
    return row


async def _run_public(conn: Executor, run: asyncpg.Record) -> RunPublic:
    """A run's progress from the ledger: what happened, not what a worker remembers."""
    counts = await conn.fetch(q("campaign_run_counts"), run["campaign_id"], run["run_id"])
    sent = sum(r["n"] for r in counts if r["status"] == "sent")
    failed = sum(r["n"] for r in counts if r["status"] == "failed")
    skipped: dict[str, int] = {}
    for r in counts:
        if r["status"] not in ("sent", "failed", "sending"):
            reason = r["reason"] or r["status"]
            skipped[reason] = skipped.get(reason, 0) + r["n"]
    done = sent + failed + sum(skipped.values())
    total = run["total"]
    return RunPublic(
        **dict(run),
        sent=sent,
        failed=failed,
        skipped=skipped,
        remaining=None if total is None else max(0, total - done),
    )


@router.post("/{campaign_id}/runs", status_code=201)
async def start_campaign_run(
    campaign_id: CampaignIdPath,
    pool: PoolDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    _: CampaignsWriter,
    body: Annotated[RunCreate | None, Body()] = None,
) -> RunPublic:
    """Send an action campaign now: a run snapshots the audience and sends to it."""
    tuning = body or RunCreate()
    row = await _campaign(pool, campaign_id)
    _may_run(row)
    if row["kind"] == "triggered":
        raise ApiError(409, f"campaign {campaign_id!r} is triggered: POST …/trigger")
    run_id = new_run_id()
    run = await _insert_run(pool, campaign_id, run_id)
    await start_run(
        temporal,
        settings.task_queue,
        CampaignRunInput(
            spec=spec_of(row),
            run_id=run_id,
            batch_size=tuning.batch_size,
            parallel=tuning.parallel,
        ),
    )
    return await _run_public(pool, run)


@router.post("/{campaign_id}/trigger", status_code=202)
async def trigger_campaign(
    campaign_id: CampaignIdPath,
    body: TriggerCreate,
    pool: PoolDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    _: CampaignsWriter,
    http: Request,
) -> RunPublic:
    """Send a triggered campaign to these profiles, with `vars` for its template.

    Each call is a run of its own (its id in the answer, its progress at `…/runs/{run}`).
    Transactional ones go through their own high-priority task queue, so bulk campaigns
    never delay an order confirmation or a password reset.
    """
    row = await CAMPAIGNS.get(pool, campaign_id)
    if row is None:
        raise not_found(f"campaign {campaign_id!r}")
    _may_run(row)
    if row["kind"] != "triggered":
        raise ApiError(409, f"campaign {campaign_id!r} is sent to an audience: POST …/runs")
    run_id = new_run_id()
    run = await _insert_run(pool, campaign_id, run_id, trigger_workflow_id(campaign_id, run_id))
    queue = (
        transactional_queue(settings.task_queue) if row["transactional"] else settings.task_queue
    )
    request = TriggerRequest(
        spec=spec_of(row), run_id=run_id, profile_ids=body.profile_ids, vars=body.vars
    )
    await _trigger_sender(http, temporal).send(queue, request)
    return RunPublic(**dict(run), sent=0, failed=0, skipped={}, remaining=None)


def _trigger_sender(http: Request, temporal: Client) -> TriggerSender:
    """The app's one sender, so requests arriving together share a signal."""
    sender: TriggerSender | None = getattr(http.app.state, "trigger_sender", None)
    if sender is None or sender.client is not temporal:
        sender = http.app.state.trigger_sender = TriggerSender(temporal)
    return sender


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


@router.get("/{campaign_id}/runs")
async def list_campaign_runs(
    campaign_id: CampaignIdPath,
    pool: PoolDep,
    _: Reader,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[RunPublic]:
    """The campaign's runs, newest first, with their progress."""
    await _campaign(pool, campaign_id)
    runs = await pool.fetch(q("list_campaign_runs"), campaign_id, limit)
    items = [await _run_public(pool, r) for r in runs]
    return Page(items=items, count=len(items))


@router.get("/{campaign_id}/runs/{run_id}")
async def get_campaign_run(
    campaign_id: CampaignIdPath, run_id: RunIdPath, pool: PoolDep, _: Reader
) -> RunPublic:
    """One run's progress: sent, skipped by reason, failed, remaining."""
    return await _run_public(pool, await _run(pool, campaign_id, run_id))


async def _run(pool: Executor, campaign_id: str, run_id: str) -> asyncpg.Record:
    run = await pool.fetchrow(q("get_campaign_run"), campaign_id, run_id)
    if run is None:
        raise not_found(f"run {run_id!r} of campaign {campaign_id!r}")
    return run


async def _control(
    pool: asyncpg.Pool,
    temporal: Client,
    campaign_id: str,
    run_id: str,
    signal: str,
    status: str | None,
) -> RunPublic:
    run = await _run(pool, campaign_id, run_id)
    if run["status"] in FINISHED:
        raise ApiError(409, f"run {run_id!r} is {run['status']} already")
    try:
        await temporal.get_workflow_handle(run["workflow_id"]).signal(signal, RunControl())
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise ApiError(409, f"run {run_id!r} is not running") from exc
        raise
    if status is not None:
        await pool.execute(q("set_campaign_run_status"), campaign_id, run_id, status)
    return await _run_public(pool, await _run(pool, campaign_id, run_id))


@router.post("/{campaign_id}/runs/{run_id}/pause", status_code=202)
async def pause_campaign_run(
    campaign_id: CampaignIdPath,
    run_id: RunIdPath,
    pool: PoolDep,
    temporal: TemporalDep,
    _: CampaignsWriter,
) -> RunPublic:
    """Stop sending after the batches in flight; resume carries on where it stopped."""
    return await _control(pool, temporal, campaign_id, run_id, CAMPAIGN_PAUSE_SIGNAL, "paused")


@router.post("/{campaign_id}/runs/{run_id}/resume", status_code=202)
async def resume_campaign_run(
    campaign_id: CampaignIdPath,
    run_id: RunIdPath,
    pool: PoolDep,
    temporal: TemporalDep,
    _: CampaignsWriter,
) -> RunPublic:
    """Carry on sending a paused run."""
    return await _control(pool, temporal, campaign_id, run_id, CAMPAIGN_RESUME_SIGNAL, "running")


@router.post("/{campaign_id}/runs/{run_id}/cancel", status_code=202)
async def cancel_campaign_run(
    campaign_id: CampaignIdPath,
    run_id: RunIdPath,
    pool: PoolDep,
    temporal: TemporalDep,
    _: CampaignsWriter,
) -> RunPublic:
    """Send nothing more; the run ends `cancelled` and its counts say what went out."""
    return await _control(pool, temporal, campaign_id, run_id, CAMPAIGN_CANCEL_SIGNAL, None)
