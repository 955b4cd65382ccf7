"""Previews and proofs of a template: the API asks the worker to render it (PreviewWorkflow)
or to send it to test addresses (ProofWorkflow), so what it shows is what the channels
send, never the output of a renderer of its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client, WorkflowFailureError

from contacts import addresses
from core.content_contracts import PreviewResult, ProofInput, RenderRequest
from core.names import PREVIEW_WORKFLOW, PROOF_WORKFLOW, proof_message_id
from db.sql import q
from journeys.model import Event, Profile
from services import definitions
from services.definitions import TEMPLATE
from services.errors import FieldProblem, Invalid, NotFound, Unavailable

PREVIEW_TIMEOUT = timedelta(seconds=30)
PROOF_CHANNELS: dict[str, Callable[[object], str | addresses.Invalid]] = {
    "email": addresses.email,
    "sms": addresses.phone,
    "push": addresses.push_token,
}
"""The channels whose proofs go to a test address, and the rule each address obeys."""


@dataclass(frozen=True)
class Sample:
    """Whom and what a template is rendered for: a stored profile or one given inline."""

    profile_id: str | None = None
    profile: Profile | None = None
    event_name: str = "preview"
    properties: dict[str, Any] = field(default_factory=dict)
    vars: dict[str, Any] = field(default_factory=dict)
    campaign: dict[str, Any] | None = None


async def _profile(pool: asyncpg.Pool, sample: Sample) -> Profile:
    if sample.profile is not None:
        return sample.profile
    assert sample.profile_id is not None
    row = await pool.fetchrow(q("get_profile"), sample.profile_id)
    if row is None:
        raise NotFound(f"profile {sample.profile_id!r}")
    return Profile(**dict(row))


async def _request(pool: asyncpg.Pool, name: str, sample: Sample, message_id: str) -> RenderRequest:
    template = await definitions.read(pool, TEMPLATE, name)
    profile = await _profile(pool, sample)
    now = datetime.now(UTC)
    event = Event(
        event_id=message_id,
        name=sample.event_name,
        profile_id=profile.profile_id,
        timestamp=now,
        properties=sample.properties,
    )
    return RenderRequest(
        template=name,
        channel=template["channel"],
        profile=profile,
        event=event,
        vars=sample.vars,
        campaign=sample.campaign,
        now=now,
        message_id=message_id,
    )


async def preview(
    pool: asyncpg.Pool, client: Client, task_queue: str, name: str, sample: Sample
) -> PreviewResult:
    """Every part of the message `sample`'s profile would get; Invalid when it does not render
    for them (an attribute the template needs and the profile lacks)."""
    message_id = f"preview:{uuid.uuid4()}"
    req = await _request(pool, name, sample, message_id)
    if not await worker_polls(client, task_queue):
        raise Unavailable(f"no worker polls task queue {task_queue!r} to render the preview")
    try:
        result: PreviewResult = await client.execute_workflow(
            PREVIEW_WORKFLOW,
            req,
            id=message_id,
            task_queue=task_queue,
            execution_timeout=PREVIEW_TIMEOUT,
            result_type=PreviewResult,
        )
    except WorkflowFailureError as exc:
        raise Unavailable(f"no worker rendered the preview: {exc}") from exc
    if result.error is not None:
        raise Invalid([FieldProblem("template", result.error)], "the template does not render")
    return result


async def worker_polls(client: Client, task_queue: str) -> bool:
    """Whether a worker asked for this queue's workflow tasks lately: without one a preview
    would wait its whole timeout for nobody."""
    resp = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=client.namespace,
            task_queue=TaskQueue(name=task_queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        )
    )
    return bool(resp.pollers)


@dataclass(frozen=True)
class Proofs:
    """The proofs started: the workflow sending them and each one's ledger id."""

    proof_id: str
    messages: list[tuple[str, str]]  # (message id, test address)


def _addresses(channel: str, to: Sequence[str]) -> list[str]:
    rule = PROOF_CHANNELS.get(channel)
    if rule is None:
        known = ", ".join(PROOF_CHANNELS)
        problem = FieldProblem("to", f"proofs go to {known} addresses, not to channel {channel}")
        raise Invalid([problem], "this template has no proofs")
    checked: list[str] = []
    problems = []
    for index, value in enumerate(to):
        result = rule(value)
        if isinstance(result, addresses.Invalid):
            problems.append(FieldProblem(f"to[{index}]", result.reason))
        else:
            checked.append(result)
    if problems:
        raise Invalid(problems, "a test address is invalid")
    return checked


async def send_proofs(
    pool: asyncpg.Pool,
    client: Client,
    task_queue: str,
    name: str,
    sample: Sample,
    to: Sequence[str],
) -> Proofs:
    """Start sending the template to each test address, as `sample`'s profile would get it."""
    workflow_id = f"proof:{uuid.uuid4()}"
    req = await _request(pool, name, sample, workflow_id)
    checked = _addresses(req.channel, to)
    inp = ProofInput(render=req, to=checked, workflow_id=workflow_id, task_queue=task_queue)
    await client.start_workflow(PROOF_WORKFLOW, inp, id=workflow_id, task_queue=task_queue)
    ids = [proof_message_id(workflow_id, i) for i in range(len(checked))]
    return Proofs(workflow_id, list(zip(ids, checked, strict=True)))
