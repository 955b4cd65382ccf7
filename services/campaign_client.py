"""Starting, steering and scheduling campaign runs: what the API and tests call.

Every run is `CampaignWorkflow` with id `campaign:<campaign>:<run>` and the CampaignId
search attribute; a recurring campaign is a Temporal Schedule `campaign:<campaign>`
(architecture decision 6) whose runs are `campaign:<campaign>:scheduled-<time>`.
"""

from __future__ import annotations

import secrets
import zlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import asyncpg
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleSpec,
    WorkflowHandle,
)
from temporalio.common import SearchAttributePair, TypedSearchAttributes

from core.campaign_contracts import (
    CAMPAIGN_ID,
    Branch,
    CampaignRunInput,
    CampaignSendTime,
    CampaignSpec,
    FollowUp,
    TriggerInboxInput,
    TriggerRequest,
)
from core.names import (
    CAMPAIGN_TRIGGER_SIGNAL,
    CAMPAIGN_TRIGGER_WORKFLOW,
    CAMPAIGN_WORKFLOW,
    campaign_trigger_workflow_id,
    campaign_workflow_id,
)
from journeys.durations import duration_upper_bound
from services.schedules import delete_schedule, upsert_schedule

TRANSACTIONAL_SUFFIX = "campaigns.transactional"
TRIGGER_SHARDS = 8
"""Inboxes of a triggered campaign, for run ids not made by `new_run_id`."""
TRIGGER_WINDOW_SECONDS = 5
"""A triggered campaign's requests go to one inbox per this many seconds (by run id)."""


def transactional_queue(base: str) -> str:
    """API-triggered transactional campaigns run here, away from bulk sends."""
    return f"{base}.{TRANSACTIONAL_SUFFIX}"


def schedule_id(campaign_id: str) -> str:
    return f"campaign:{campaign_id}"


def spec_of(row: Mapping[str, Any] | asyncpg.Record) -> CampaignSpec:
    """The run's frozen copy of a campaign row (later edits do not change a running run)."""
    delivery = row["delivery"] or {}
    orchestration = row["orchestration"] or {}
    return CampaignSpec(
        campaign_id=row["campaign_id"],
        name=row["name"],
        channel=row["channel"],
        template=row["template"],
        audience_id=row["audience_id"],
        topic=row["topic"],
        transactional=row["transactional"],
        max_per_second=delivery.get("max_per_second"),
        ramp_up=delivery.get("ramp_up") or [],
        local_time=delivery.get("local_time"),
        default_timezone=delivery.get("default_timezone") or "UTC",
        send_time=send_time_of(delivery.get("send_time")),
        decisions=list(delivery.get("decisions") or []),
        branches=[Branch.model_validate(b) for b in orchestration.get("branches", [])],
        follow_up=FollowUp.model_validate(follow)
        if (follow := orchestration.get("follow_up"))
        else None,
    )


def send_time_of(stored: Mapping[str, Any] | None) -> CampaignSendTime | None:
    """A campaign's `delivery.send_time` as a run carries it: the window in seconds."""
    if not stored:
        return None
    within = duration_upper_bound(stored.get("within") or "PT24H").total_seconds()
    return CampaignSendTime(
        optimize=stored["optimize"], within_seconds=within, holdout=stored.get("holdout") or 0.0
    )


def new_run_id(now: datetime | None = None) -> str:
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return f"{moment:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


async def start_run(
    client: Client, task_queue: str, run: CampaignRunInput
) -> WorkflowHandle[Any, Any]:
    assert run.run_id is not None
    return await client.start_workflow(
        CAMPAIGN_WORKFLOW,
        run,
        id=campaign_workflow_id(run.spec.campaign_id, run.run_id),
        task_queue=task_queue,
        search_attributes=TypedSearchAttributes(
            [SearchAttributePair(CAMPAIGN_ID, run.spec.campaign_id)]
        ),
        memo={"campaign_name": run.spec.name},
    )


def _schedule(spec: CampaignSpec, schedule: Mapping[str, Any], task_queue: str) -> Schedule:
    end = schedule.get("end_at")
    return Schedule(
        action=ScheduleActionStartWorkflow(
            CAMPAIGN_WORKFLOW,
            CampaignRunInput(spec=spec),
            id=campaign_workflow_id(spec.campaign_id, "scheduled"),
            task_queue=task_queue,
            typed_search_attributes=TypedSearchAttributes(
                [SearchAttributePair(CAMPAIGN_ID, spec.campaign_id)]
            ),
        ),
        spec=ScheduleSpec(
            cron_expressions=[schedule["cron"]],
            time_zone_name=schedule.get("timezone") or "UTC",
            end_at=datetime.fromisoformat(end) if isinstance(end, str) else end,
        ),
    )


async def sync_schedule(
    client: Client,
    task_queue: str,
    spec: CampaignSpec,
    schedule: Mapping[str, Any] | None,
) -> None:
    """Make the Temporal Schedule match the campaign: created, updated or deleted."""
    if schedule is None:
        await delete_schedule(client, schedule_id(spec.campaign_id))
    else:
        await upsert_schedule(
            client, schedule_id(spec.campaign_id), _schedule(spec, schedule, task_queue)
        )


async def trigger(
    client: Client, task_queue: str, request: TriggerRequest
) -> WorkflowHandle[Any, Any]:
    """Signal-with-start of the campaign's trigger inbox: a request is never lost, and it
    costs one signal rather than a workflow of its own."""
    campaign_id = request.spec.campaign_id
    return await client.start_workflow(
        CAMPAIGN_TRIGGER_WORKFLOW,
        TriggerInboxInput(campaign_id=campaign_id),
        id=trigger_workflow_id(campaign_id, request.run_id),
        task_queue=task_queue,
        start_signal=CAMPAIGN_TRIGGER_SIGNAL,
        start_signal_args=[request],
        search_attributes=TypedSearchAttributes([SearchAttributePair(CAMPAIGN_ID, campaign_id)]),
    )


def trigger_workflow_id(campaign_id: str, run_id: str) -> str:
    """The inbox a request goes to: the window of time its run id was made in.

    One inbox at a time takes a campaign's requests, so the API's grouped signals and the
    inbox's batches grow with the load. Moving on to a fresh inbox every few seconds keeps
    each history short without continue-as-new: a continue-as-new under a steady stream
    of signals is refused while signals keep arriving, and each refusal replays the whole
    history (seconds of stall at 100 requests/s). A past window's inbox ends once idle.
    """
    stamp = run_id[:15]  # new_run_id: 20261123T011402Z-…
    if len(stamp) == 15 and stamp[8] == "T" and stamp[:8].isdigit() and stamp[9:].isdigit():
        second = int(stamp[13:]) // TRIGGER_WINDOW_SECONDS * TRIGGER_WINDOW_SECONDS
        return campaign_trigger_workflow_id(campaign_id, f"{stamp[:13]}{second:02d}")
    return campaign_trigger_workflow_id(campaign_id, zlib.crc32(run_id.encode()) % TRIGGER_SHARDS)
