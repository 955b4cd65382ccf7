"""Campaigns: definitions (CRUD), runs (send now, progress, pause/resume/cancel), triggers.

Handlers only validate, call one campaign operation (services/campaigns.py) and shape
the answer; the sending is CampaignWorkflow's (workflows/campaign.py).
"""

from __future__ import annotations

from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Body, Path, Query, Request, Response
from temporalio.client import Client

from api.deps import (
    CampaignsApprover,
    CampaignsWriter,
    JsonBody,
    PoolDep,
    Reader,
    SettingsDep,
    TemporalDep,
)
from api.errors import field, invalid
from api.keys import Principal
from api.schemas.campaigns import (
    CampaignCreate,
    CampaignPublic,
    CampaignUpdate,
    RunCreate,
    RunPublic,
    SchedulePublic,
    TriggerCreate,
)
from api.schemas.common import ERRORS, ID_PATTERN, Page
from api.schemas.reports import send_time_groups
from audiences.rules import Rule, parse_rule
from core.names import CAMPAIGN_CANCEL_SIGNAL, CAMPAIGN_PAUSE_SIGNAL, CAMPAIGN_RESUME_SIGNAL
from db.sql import q
from db.types import Executor
from services import campaigns
from services.audiences import RefreshPlan
from services.campaign_schedule import upcoming
from services.on_demand import NewAudience, create_with_audience
from services.trigger_sender import TriggerSender

router = APIRouter(
    prefix="/campaigns", tags=["campaigns"], dependencies=[JsonBody], responses=ERRORS
)

CampaignIdPath = Annotated[str, Path(pattern=ID_PATTERN, description="Campaign id")]
RunIdPath = Annotated[str, Path(min_length=1, max_length=200, description="Run id")]


def _public(row: asyncpg.Record) -> CampaignPublic:
    data = dict(row)
    data["id"] = data.pop("campaign_id")
    data["approved"] = campaigns.approved(row)
    return CampaignPublic(**data)


def _columns(body: CampaignUpdate, who: Principal) -> list[Any]:
    """The definition as `insert_campaign` and `update_campaign` take it."""
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
        body.per.model_dump(mode="json") if body.per else None,
    ]


@router.post("", status_code=201)
async def create_campaign(
    body: CampaignCreate,
    pool: PoolDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    who: CampaignsWriter,
) -> CampaignPublic:
    """Create a campaign; with a `schedule`, its Temporal Schedule starts the runs; with
    `audience`, the audience it sends to is made (and evaluated) first."""
    if body.audience is None:
        columns = _columns(body, who)
        row = await campaigns.save(
            pool, temporal, settings.task_queue, body.id, body, columns, new=True
        )
        return _public(row)
    new = body.audience
    draft = body.model_copy(update={"audience_id": new.audience_id})
    audience = NewAudience(new.audience_id, (new.name, new.description), _rule(new.definition))
    plans = (RefreshPlan.of(settings), settings.task_queue)
    row = await create_with_audience(
        pool, temporal, plans, body.id, draft, _columns(draft, who), audience
    )
    return _public(row)


def _rule(definition: Any) -> Rule:
    rule, problems = parse_rule(definition)
    if rule is None:
        fields = [field(f"audience.{p.path}", p.message) for p in problems]
        raise invalid(fields, "the audience definition is invalid")
    return rule


@router.get("")
async def list_campaigns(pool: PoolDep, _: Reader) -> Page[CampaignPublic]:
    """Every campaign, by id."""
    rows = await pool.fetch(q("list_campaigns"))
    return Page(items=[_public(r) for r in rows], count=len(rows))


@router.get("/{campaign_id}")
async def get_campaign(campaign_id: CampaignIdPath, pool: PoolDep, _: Reader) -> CampaignPublic:
    """Read a campaign."""
    return _public(await campaigns.read(pool, campaign_id))


@router.get("/{campaign_id}/schedule")
async def get_campaign_schedule(
    campaign_id: CampaignIdPath,
    pool: PoolDep,
    temporal: TemporalDep,
    _: Reader,
    count: Annotated[int, Query(ge=1, le=10, description="How many next runs")] = 5,
) -> SchedulePublic:
    """A recurring campaign's next run times, as its Temporal Schedule will start them."""
    return SchedulePublic(**vars(await upcoming(pool, temporal, campaign_id, count)))


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
    columns = _columns(body, who)
    row = await campaigns.save(
        pool, temporal, settings.task_queue, campaign_id, body, columns, new=False
    )
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
    await campaigns.archive(pool, temporal, settings.task_queue, campaign_id)
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
    row = await campaigns.approve(pool, temporal, settings.task_queue, campaign_id, who.key_id)
    return _public(row)


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
    members = await conn.fetchrow(q("campaign_run_members_done"), run["campaign_id"], run["run_id"])
    if members is not None and members["per_entity"]:  # the ledger counts messages: members
        done = max(members["with_messages"], members["in_batches"])
    total = run["total"]
    timed = await conn.fetch(q("campaign_run_send_time"), run["campaign_id"], run["run_id"])
    return RunPublic(
        **dict(run),
        sent=sent,
        failed=failed,
        skipped=skipped,
        # Members left: a per-entity run's ledger counts messages, so its members done are
        # those with a message or in a finished batch (a member without a matching record has
        # no row); a completed run has none left.
        remaining=None
        if total is None
        else 0
        if run["status"] == "completed"
        else max(0, total - done),
        send_time=send_time_groups([dict(r) for r in timed]) if timed else None,
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
    run = await campaigns.start(
        pool, temporal, settings.task_queue, campaign_id, tuning.batch_size, tuning.parallel
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
    sender = _trigger_sender(http, temporal)
    run = await campaigns.trigger(
        pool, sender, settings.task_queue, campaign_id, body.profile_ids, body.vars
    )
    return RunPublic(**dict(run), sent=0, failed=0, skipped={}, remaining=None)


def _trigger_sender(http: Request, temporal: Client) -> TriggerSender:
    """The app's one sender, so requests arriving together share a signal."""
    sender: TriggerSender | None = getattr(http.app.state, "trigger_sender", None)
    if sender is None or sender.client is not temporal:
        sender = http.app.state.trigger_sender = TriggerSender(temporal)
    return sender


@router.get("/{campaign_id}/runs")
async def list_campaign_runs(
    campaign_id: CampaignIdPath,
    pool: PoolDep,
    _: Reader,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[RunPublic]:
    """The campaign's runs, newest first, with their progress."""
    await campaigns.read(pool, campaign_id)
    runs = await pool.fetch(q("list_campaign_runs"), campaign_id, limit)
    items = [await _run_public(pool, r) for r in runs]
    return Page(items=items, count=len(items))


@router.get("/{campaign_id}/runs/{run_id}")
async def get_campaign_run(
    campaign_id: CampaignIdPath, run_id: RunIdPath, pool: PoolDep, _: Reader
) -> RunPublic:
    """One run's progress: sent, skipped by reason, failed, remaining."""
    return await _run_public(pool, await campaigns.read_run(pool, campaign_id, run_id))


@router.post("/{campaign_id}/runs/{run_id}/pause", status_code=202)
async def pause_campaign_run(
    campaign_id: CampaignIdPath,
    run_id: RunIdPath,
    pool: PoolDep,
    temporal: TemporalDep,
    _: CampaignsWriter,
) -> RunPublic:
    """Stop sending after the batches in flight; resume carries on where it stopped."""
    run = await campaigns.control(
        pool, temporal, campaign_id, run_id, CAMPAIGN_PAUSE_SIGNAL, "paused"
    )
    return await _run_public(pool, run)


@router.post("/{campaign_id}/runs/{run_id}/resume", status_code=202)
async def resume_campaign_run(
    campaign_id: CampaignIdPath,
    run_id: RunIdPath,
    pool: PoolDep,
    temporal: TemporalDep,
    _: CampaignsWriter,
) -> RunPublic:
    """Carry on sending a paused run."""
    run = await campaigns.control(
        pool, temporal, campaign_id, run_id, CAMPAIGN_RESUME_SIGNAL, "running"
    )
    return await _run_public(pool, run)


@router.post("/{campaign_id}/runs/{run_id}/cancel", status_code=202)
async def cancel_campaign_run(
    campaign_id: CampaignIdPath,
    run_id: RunIdPath,
    pool: PoolDep,
    temporal: TemporalDep,
    _: CampaignsWriter,
) -> RunPublic:
    """Send nothing more; the run ends `cancelled` and its counts say what went out."""
    run = await campaigns.control(pool, temporal, campaign_id, run_id, CAMPAIGN_CANCEL_SIGNAL, None)
    return await _run_public(pool, run)
