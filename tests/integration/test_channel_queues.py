"""A remote channel's sends go to one task queue, named in one place.

The journey and campaign workflows schedule their sends on the queue that
`core.names.channel_task_queue` names, and the worker polls exactly the queues that function
names for the registered remote channels. Were any of them to spell the queue itself, a
change to the name would leave sends waiting on a queue nobody polls; here it fails.
"""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle

from core.campaign_contracts import CampaignProgress, CampaignRunInput, CampaignSpec
from core.names import (
    CAMPAIGN_WORKFLOW,
    REMOTE_CHANNELS,
    campaign_workflow_id,
    channel_task_queue,
    journey_workflow_id,
)
from core.settings import Settings
from services.campaign_client import transactional_queue
from tests.integration.campaign_helpers import make_audience, make_campaign, make_template
from tests.integration.helpers import event, eventually, publish, uid
from tests.integration.provider import FakeProvider
from workers.router import Registry, Router
from workers.worker import running

pytestmark = pytest.mark.integration
SCHEDULED = EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED


def webhook_journey(jid: str, template: str, entry: str) -> dict[str, Any]:
    hello = {"type": "message", "channel": "webhook", "template": template, "next": "done"}
    return {
        "id": jid,
        "name": jid,
        "entry": {"event": entry},
        "start": "hello",
        "nodes": {"hello": hello, "done": {"type": "end"}},
    }


async def scheduled(handle: WorkflowHandle[Any, Any], activity: str) -> str:
    """The task queue the workflow scheduled `activity` on, once it has."""

    async def queue() -> str | None:
        async for e in handle.fetch_history_events():
            attrs = e.activity_task_scheduled_event_attributes
            if e.event_type == SCHEDULED and attrs.activity_type.name == activity:
                return str(attrs.task_queue.name)
        return None

    return await eventually(queue)


async def start_journey(client: Client, pool: asyncpg.Pool, queue: str) -> WorkflowHandle[Any, Any]:
    jid, tpl, entry, profile = uid("hooks"), uid("tpl"), uid("hooks.go"), uid("p")
    await publish(pool, webhook_journey(jid, tpl, entry), tpl, channel="webhook")
    router = Router(client, queue)
    router.registry = await Registry.load(pool)
    await router.route(event(entry, profile), None)
    return client.get_workflow_handle(journey_workflow_id(jid, profile))


async def start_campaign(
    client: Client, pool: asyncpg.Pool, queue: str
) -> WorkflowHandle[Any, Any]:
    audience = await make_audience(pool, [uid("p"), uid("p")])
    tpl = await make_template(pool, "webhook")
    campaign = await make_campaign(pool, audience, tpl, channel="webhook")
    spec = CampaignSpec(
        campaign_id=campaign, name=campaign, channel="webhook", template=tpl, audience_id=audience
    )
    return await client.start_workflow(
        CAMPAIGN_WORKFLOW,
        CampaignRunInput(spec=spec, run_id="r1"),
        id=campaign_workflow_id(campaign, "r1"),
        task_queue=queue,
        result_type=CampaignProgress,
    )


async def test_sends_are_scheduled_on_the_queues_the_worker_polls(
    settings: Settings, pool: asyncpg.Pool
) -> None:
    queue = uid("queues")
    with FakeProvider() as provider:
        mine = settings.model_copy(update={"task_queue": queue, "webhook_url": provider.url})
        async with running(mine, dispatch=False) as rt:
            polled = {w.task_queue for w in rt.workers}
            channel_queues = {channel_task_queue(queue, c) for c in REMOTE_CHANNELS}
            assert channel_queues <= polled
            assert polled - channel_queues == {queue, transactional_queue(queue)}
            journey = await start_journey(rt.client, pool, queue)
            campaign = await start_campaign(rt.client, pool, queue)
            webhook = channel_task_queue(queue, "webhook")
            assert await scheduled(journey, "send_message") == webhook
            assert await scheduled(campaign, "send_campaign_batch") == webhook
            assert await asyncio.wait_for(journey.result(), 60) == "completed"
            assert (await asyncio.wait_for(campaign.result(), 60)).sent == 2
        assert len(provider.requests) == 3
