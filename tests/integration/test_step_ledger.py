"""The step ledger is exact under retries and crashes: activities that fail their first
attempt after writing, and a worker SIGKILLed in the middle of a send. Report counts equal
what the profiles did, and every visit row is there once, closed with its outcome."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from typing import Any

import asyncpg
import httpx
import pytest
from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from core.contracts import FinishInput, SendInput, SendResult, StepBatch
from core.names import journey_workflow_id
from core.settings import Settings
from tests.integration.campaign_helpers import journey_through_a_kill
from tests.integration.helpers import event, publish
from tests.integration.provider import FakeProvider
from workers.router import Registry, Router
from workers.worker import Activities, Runtime
from workflows.journey import JourneyWorkflow
from workflows.sandbox import workflow_runner

pytestmark = pytest.mark.integration


def journey(jid: str, tpl: str, channel: str = "log") -> dict[str, Any]:
    return {
        "id": jid,
        "name": jid,
        "entry": {"event": f"{jid}.go"},
        "start": "pause",
        "nodes": {
            "pause": {"type": "wait", "duration": "PT1S", "next": "check"},
            "check": {
                "type": "condition",
                "branches": [{"when": "event.properties.n >= 0", "next": "hello"}],
                "otherwise": "done",
            },
            "hello": {"type": "message", "channel": channel, "template": tpl, "next": "done"},
            "done": {"type": "end"},
        },
    }


class FlakyLedger:
    """The real ledger activities, each failing its first attempt after its writes."""

    def __init__(self, acts: Activities) -> None:
        self.acts = acts
        self.attempts: Counter[str] = Counter()

    def _crash(self, name: str) -> None:
        self.attempts[name] += 1
        if activity.info().attempt == 1:
            raise ApplicationError(f"{name}: lost after writing")

    @activity.defn(name="record_steps")
    async def record_steps(self, batch: StepBatch) -> None:
        await self.acts.steplog.record_steps(batch)
        self._crash("record_steps")

    @activity.defn(name="send_message")
    async def send_message(self, inp: SendInput) -> SendResult:
        result = await self.acts.messages.send_message(inp)
        self._crash("send_message")
        return result

    @activity.defn(name="finish_journey")
    async def finish_journey(self, inp: FinishInput) -> None:
        await self.acts.journeys.finish_journey(inp)
        self._crash("finish_journey")


async def report(api: httpx.AsyncClient, headers: dict[str, str], jid: str) -> dict[str, Any]:
    resp = await api.get(f"/v1/journeys/{jid}/report", headers=headers)
    assert resp.status_code == 200, resp.text
    return {n["node"]: n for n in resp.json()["nodes"]} | {"entries": resp.json()["entries"]}


async def test_counts_exact_when_ledger_writes_are_retried(
    settings: Settings,
    pool: asyncpg.Pool,
    temporal_client: Client,
    runtime: Runtime,
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
) -> None:
    jid, queue = f"flaky-{uuid.uuid4().hex[:8]}", f"flaky-{uuid.uuid4().hex[:8]}"
    await publish(pool, journey(jid, f"tpl-{jid}"), f"tpl-{jid}")
    acts = Activities.build(temporal_client, pool, runtime.http, settings)
    flaky = FlakyLedger(acts)
    replaced = {"record_steps", "send_message", "finish_journey"}
    kept = [a for a in acts.main_queue() if a.__name__ not in replaced]
    profiles = [f"p-{uuid.uuid4().hex[:8]}" for _ in range(5)]
    # Known noise: each retried local activity leaves the SDK core a start-to-close timer
    # (30 s) it never aborts (temporalio/sdk-rust#1454). When one fires after this worker is
    # gone, a later test's stderr gets a Rust panic, `TimeoutBag::mark_started` ...
    # `receive half not dropped`. It is harmless: that timer's task dies, nothing else.
    async with Worker(
        temporal_client,
        task_queue=queue,
        workflows=[JourneyWorkflow],
        activities=[*kept, flaky.record_steps, flaky.send_message, flaky.finish_journey],
        workflow_runner=workflow_runner(),
    ):
        router = Router(temporal_client, queue)
        router.registry = await Registry.load(pool)
        for profile in profiles:
            await router.route(event(f"{jid}.go", profile, {"n": 1}), None)
        handles = [
            temporal_client.get_workflow_handle(journey_workflow_id(jid, p)) for p in profiles
        ]
        results = await asyncio.wait_for(asyncio.gather(*(h.result() for h in handles)), 90)
    assert results == ["completed"] * 5
    assert flaky.attempts == {"record_steps": 10, "send_message": 10, "finish_journey": 10}
    nodes = await report(api_client, admin_headers, jid)
    for node in ("pause", "check", "hello", "done"):
        assert (nodes[node]["entered"], nodes[node]["exited"]) == (5, 5), node
        assert nodes[node]["errored"] == nodes[node]["exit_criteria"] == 0
    assert nodes["hello"]["messages"]["sent"] == 5
    assert nodes["entries"] == {"completed": 5}
    rows = await pool.fetch(
        "SELECT node_id, visit, outcome, left_at FROM journey_steps WHERE journey_id = $1", jid
    )
    assert len(rows) == 20 and all(r["left_at"] and r["outcome"] == "exited" for r in rows)
    assert {r["visit"] for r in rows} == {1}


async def test_counts_exact_after_a_worker_is_killed_mid_send(
    settings: Settings,
    pool: asyncpg.Pool,
    temporal_client: Client,
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
) -> None:
    jid, profile = f"killed-{uuid.uuid4().hex[:8]}", f"p-{uuid.uuid4().hex[:8]}"
    await publish(pool, journey(jid, f"tpl-{jid}", "webhook"), f"tpl-{jid}", channel="webhook")
    with FakeProvider() as provider:
        routed = event(f"{jid}.go", profile, {"n": 1})
        wid = journey_workflow_id(jid, profile)
        result = await journey_through_a_kill(
            settings, pool, temporal_client, provider, routed, wid
        )
    assert result == "completed"
    assert len(provider.delivered()) == 1
    nodes = await report(api_client, admin_headers, jid)
    for node in ("pause", "check", "hello", "done"):
        assert (nodes[node]["entered"], nodes[node]["exited"]) == (1, 1), node
    assert nodes["hello"]["messages"]["sent"] == 1
    resp = await api_client.get(f"/v1/profiles/{profile}/journeys/{jid}", headers=admin_headers)
    steps = resp.json()["runs"][0]["steps"]
    assert [s["node"] for s in steps] == ["pause", "check", "hello", "done"]
    assert steps[2]["message"]["status"] == "sent"
