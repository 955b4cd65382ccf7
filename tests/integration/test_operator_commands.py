"""The `temporal` CLI commands of docs/operators.md, run against the test's Temporal server.

Each command is written here exactly as the guide prints it (with the guide's example
journey `abandoned-cart`, profile `u-1` and node `wait_order`), checked to appear verbatim
in the guide, then run with this test's own journey, profile and node substituted. So an
operator copying a command from the guide runs one that this test ran and checked.
"""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import subprocess
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from temporalio.client import Client, WorkflowExecutionStatus

from core.names import journey_workflow_id
from core.settings import Settings
from tests.integration.helpers import event, eventually, publish
from workers.embedded import temporal_binary
from workers.reconciler import Reconciler
from workers.router import Registry, Router
from workers.worker import Runtime

pytestmark = pytest.mark.integration

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "operators.md"
EXAMPLE = {"journey": "abandoned-cart", "profile": "u-1", "node": "wait_order"}

# The guide's commands, with {journey}, {profile}, {node} where the example names stand.
FIND_BY_PROFILE = "temporal workflow list --query 'ProfileId=\"{profile}\"'"
DESCRIBE = "temporal workflow describe --workflow-id journey:{journey}:{profile}"
STATE = "temporal workflow query --workflow-id journey:{journey}:{profile} --type state"
STATE_JSON = (
    "temporal workflow query --workflow-id journey:{journey}:{profile} --type state --output json"
)
WAITING_AT = (
    "temporal workflow list --query "
    '\'JourneyId="{journey}" AND CurrentNode="{node}" AND ExecutionStatus="Running"\''
)
COUNT_AT = (
    "temporal workflow count --query "
    '\'JourneyId="{journey}" AND CurrentNode="{node}" AND ExecutionStatus="Running"\''
)
TERMINATE = (
    "temporal workflow terminate --workflow-id journey:{journey}:{profile} "
    "--reason 'support ticket 4711'"
)
TERMINATE_MANY = (
    "temporal workflow terminate --query "
    '\'JourneyId="{journey}" AND CurrentNode="{node}" AND ExecutionStatus="Running"\' '
    "--reason 'bad version' --yes"
)
SHOW = "temporal workflow show --workflow-id journey:{journey}:{profile}"
POLLERS = "temporal task-queue describe --task-queue wayline"
SIGNAL_PREFIX = "temporal workflow signal --workflow-id journey:{journey}:{profile} --name event"
DOCUMENTED = [
    FIND_BY_PROFILE,
    DESCRIBE,
    STATE,
    STATE_JSON,
    WAITING_AT,
    COUNT_AT,
    TERMINATE,
    TERMINATE_MANY,
    SHOW,
    POLLERS,
    SIGNAL_PREFIX,
]


def guide_text() -> str:
    """The guide with shell line continuations joined, as an operator's shell reads it."""
    return GUIDE.read_text().replace("\\\n", " ").replace("  ", " ")


def test_guide_prints_the_tested_commands() -> None:
    text = " ".join(guide_text().split())
    for template in DOCUMENTED:
        assert template.format(**EXAMPLE) in text, template.format(**EXAMPLE)


def guide_signal_input() -> dict[str, Any]:
    """The JSON the guide passes to `temporal workflow signal --input`."""
    text = guide_text()
    start = text.index(SIGNAL_PREFIX.format(**EXAMPLE))
    line = text[start:].split("\n", 1)[0]
    args = shlex.split(line)
    payload: dict[str, Any] = json.loads(args[args.index("--input") + 1])
    return payload


def cli(settings: Settings, command: str, **names: str) -> str:
    """Run one of the guide's commands with this test's names; the connection comes from
    TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE, as the guide tells operators to set them."""
    args = shlex.split(command.format(**names) if names else command)
    assert args[0] == "temporal"
    env = {
        **os.environ,
        "TEMPORAL_ADDRESS": settings.temporal_address,
        "TEMPORAL_NAMESPACE": settings.temporal_namespace,
    }
    proc = subprocess.run(
        [temporal_binary(), *args[1:]], capture_output=True, text=True, env=env, timeout=60
    )
    assert proc.returncode == 0, f"{command}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


async def eventually_cli(settings: Settings, command: str, expect: str, **names: str) -> str:
    """Visibility (list, count, search attributes) trails the workflow by a moment."""
    deadline = time.monotonic() + 30
    while True:
        out = await asyncio.to_thread(cli, settings, command, **names)
        if expect in out or time.monotonic() > deadline:
            assert expect in out, f"{command.format(**names)}: {expect!r} not in\n{out}"
            return out
        await asyncio.sleep(0.3)


async def test_operator_commands(
    runtime: Runtime, pool: asyncpg.Pool, temporal_client: Client, settings: Settings
) -> None:
    jid = f"ops-{uuid.uuid4().hex[:6]}"
    node, tpl = "wait_order", "ops-thanks"
    waiting, stuck, many = f"{jid}-u1", f"{jid}-u2", f"{jid}-u3"
    defn = {
        "id": jid,
        "name": "Operator guide",
        "entry": {"event": f"{jid}.go"},
        "start": node,
        "nodes": {
            node: {
                "type": "wait_for_event",
                "event": "order.completed",
                "timeout": "PT1H",
                "on_event": "thanks",
                "on_timeout": "done",
            },
            "thanks": {"type": "message", "channel": "log", "template": tpl, "next": "done"},
            "done": {"type": "end"},
        },
    }
    await publish(pool, defn, tpl)
    router = Router(temporal_client, runtime.workers[0].task_queue)
    router.registry = await Registry.load(pool)
    for profile in (waiting, stuck, many):
        await router.route(event(f"{jid}.go", profile), None)
    one = {"journey": jid, "profile": waiting, "node": node}
    other = {"journey": jid, "profile": stuck, "node": node}
    wid, stuck_wid = journey_workflow_id(jid, waiting), journey_workflow_id(jid, stuck)
    many_wid = journey_workflow_id(jid, many)

    # Which journeys is the profile in? (ProfileId search attribute)
    await eventually_cli(settings, FIND_BY_PROFILE, wid, **one)
    # Who waits at the node? (JourneyId and CurrentNode search attributes)
    await eventually_cli(settings, COUNT_AT, "Total: 3", **one)
    listed = await asyncio.to_thread(cli, settings, WAITING_AT, **one)
    assert {wid, stuck_wid, many_wid} <= set(listed.split()) and "Running" in listed, listed
    described = await asyncio.to_thread(cli, settings, DESCRIBE, **one)
    assert "JourneyWorkflow" in described, described
    assert "CurrentNode" in described and node in described, described

    # Why does it wait? The `state` query names the node and the awaited event.
    assert node in await asyncio.to_thread(cli, settings, STATE, **one)
    answer = json.loads(await asyncio.to_thread(cli, settings, STATE_JSON, **one))
    state = answer["queryResult"][0]
    assert state["node"] == node and state["status"] == "active"
    assert state["wait"]["event"] == "order.completed"
    assert state["profile_id"] == waiting

    # Send it the event it waits for: the journey takes `on_event`, sends, and ends.
    payload = guide_signal_input()
    payload["event"]["profile_id"] = waiting
    payload["event"]["event_id"] = f"{jid}-manual-1"
    signal = SIGNAL_PREFIX.format(**one) + " --input " + shlex.quote(json.dumps(payload))
    await asyncio.to_thread(cli, settings, signal)
    assert await asyncio.wait_for(temporal_client.get_workflow_handle(wid).result(), 30) == (
        "completed"
    )
    await eventually_cli(settings, FIND_BY_PROFILE, "Completed", **one)
    sent = await pool.fetchval(
        "SELECT count(*) FROM messages WHERE workflow_id = $1 AND node_id = 'thanks'", wid
    )
    assert sent == 1
    await eventually_cli(settings, COUNT_AT, "Total: 2", **one)
    history = await asyncio.to_thread(cli, settings, SHOW, **one)
    assert "WorkflowExecutionSignaled" in history and "WorkflowExecutionCompleted" in history
    pollers = await asyncio.to_thread(cli, settings, POLLERS)
    assert "workflow" in pollers.lower() and "activity" in pollers.lower(), pollers

    # Terminate the other one.
    await asyncio.to_thread(cli, settings, TERMINATE, **other)
    desc = await temporal_client.get_workflow_handle(stuck_wid).describe()
    assert desc.status == WorkflowExecutionStatus.TERMINATED
    await eventually_cli(settings, FIND_BY_PROFILE, "Terminated", **other)
    await eventually_cli(settings, COUNT_AT, "Total: 1", **one)
    # And every run still waiting there, as one batch job.
    await asyncio.to_thread(cli, settings, TERMINATE_MANY, **one)
    await eventually_cli(settings, COUNT_AT, "Total: 0", **one)
    desc = await temporal_client.get_workflow_handle(many_wid).describe()
    assert desc.status == WorkflowExecutionStatus.TERMINATED
    # A terminated run runs nothing on its way out: the reconciler (a loop in every worker,
    # run by hand here) finds it in visibility and closes its ledger row, as the guide says.
    reconciler = Reconciler(pool, temporal_client, interval=1.0, lookback=timedelta(hours=1))

    async def closed() -> asyncpg.Record | None:
        await reconciler.reconcile_once()
        return await pool.fetchrow(
            "SELECT status, reason FROM journey_entries WHERE workflow_id = $1 "
            "AND ended_at IS NOT NULL",
            stuck_wid,
        )

    row = await eventually(closed)
    assert (row["status"], row["reason"]) == ("exited", "terminated in Temporal")
    assert await reconciler.reconcile_once() == 0  # closing twice changes nothing
