"""Real journey runs whose histories must replay; with WAYLINE_RECORD_HISTORIES=1 they are
written to tests/histories/ for the committed replay test (tests/unit/test_replay.py)."""

from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from temporalio.client import Client
from temporalio.worker import Replayer

from core.converter import data_converter
from core.names import journey_workflow_id
from entities.model import Definition
from services import entities
from tests.integration.helpers import event, publish
from workers.router import Registry, Router
from workers.worker import Runtime
from workflows.journey import JourneyWorkflow
from workflows.sandbox import workflow_runner

pytestmark = pytest.mark.integration
HISTORIES = Path(__file__).parent.parent / "histories"

SCENARIOS: dict[str, dict[str, Any]] = {
    "wait-message-end": {
        "start": "pause",
        "nodes": {
            "pause": {"type": "wait", "duration": "PT1S", "next": "hello"},
            "hello": {"type": "message", "channel": "log", "template": "{tpl}", "next": "done"},
            "done": {"type": "end"},
        },
        "events": [],
        "expect": "completed",
    },
    "event-branch": {
        "start": "await_order",
        "nodes": {
            "await_order": {
                "type": "wait_for_event",
                "event": "order.completed",
                "timeout": "PT60S",
                "on_event": "check",
                "on_timeout": "done",
            },
            "check": {
                "type": "condition",
                "otherwise": "done",
                "branches": [
                    {"when": "events['order.completed'].properties.total > 10", "next": "thanks"}
                ],
            },
            "thanks": {"type": "message", "channel": "log", "template": "{tpl}", "next": "done"},
            "done": {"type": "end"},
        },
        "events": [("order.completed", {"total": 25})],
        "expect": "completed",
    },
    "exit-on": {
        "start": "pause",
        "exit_on": ["unsubscribed"],
        "nodes": {
            "pause": {"type": "wait", "duration": "PT60S", "next": "done"},
            "done": {"type": "end"},
        },
        "events": [("unsubscribed", {})],
        "expect": "exited",
    },
    "event-timeout": {
        "start": "await_order",
        "nodes": {
            "await_order": {
                "type": "wait_for_event",
                "event": "order.completed",
                "timeout": "PT1S",
                "on_event": "done",
                "on_timeout": "nudge",
            },
            "nudge": {"type": "message", "channel": "log", "template": "{tpl}", "next": "done"},
            "done": {"type": "end"},
        },
        "events": [],
        "expect": "completed",
    },
    "per-entity-message": {
        # A message node with `per`: its records read (select_entity_records), then one
        # send per record with an id naming it (core.names.entity_message_id).
        "setup": "bookings",
        "start": "remind",
        "nodes": {
            "remind": {
                "type": "message",
                "channel": "log",
                "template": "{tpl}",
                "next": "done",
                "per": {
                    "entity": "h_booking",
                    "where": [{"field": "status", "op": "eq", "value": "confirmed"}],
                },
            },
            "done": {"type": "end"},
        },
        "events": [],
        "expect": "completed",
    },
    "audience-exit": {
        "entry": {"audience": {"id": "h-vip", "on": "enter"}},
        "entry_event": ("audience.entered", {"audience_id": "h-vip"}),
        "exit_on_audience": ["h-vip"],
        "start": "pause",
        "nodes": {
            "pause": {"type": "wait", "duration": "PT60S", "next": "done"},
            "done": {"type": "end"},
        },
        "events": [
            ("audience.exited", {"audience_id": "h-other"}),
            ("audience.exited", {"audience_id": "h-vip"}),
        ],
        "expect": "exited",
    },
}


async def bookings(pool: asyncpg.Pool, profile: str) -> None:
    """The `h_booking` type and the profile's bookings: two confirmed, one held."""
    booking = {
        "fields": {"booking_id": {"type": "string"}, "status": {"type": "string"}},
        "primary_key": "booking_id",
        "relations": {"guest": {"to": "profile"}},
    }
    await entities.save_type(pool, "h_booking", Definition.model_validate(booking))
    for key, status in (("b-1", "confirmed"), ("b-2", "held"), ("b-3", "confirmed")):
        await entities.upsert(pool, "h_booking", key, {"status": status, "guest": profile})


def definition(jid: str, tpl: str, scenario: dict[str, Any]) -> dict[str, Any]:
    nodes = {
        k: {f: (v.replace("{tpl}", tpl) if isinstance(v, str) else v) for f, v in n.items()}
        for k, n in scenario["nodes"].items()
    }
    defn = {
        "id": jid,
        "name": jid,
        "entry": scenario.get("entry", {"event": "go"}),
        "start": scenario["start"],
        "exit_on": scenario.get("exit_on", []),
        "nodes": nodes,
    }
    if "exit_on_audience" in scenario:
        defn["exit_on_audience"] = scenario["exit_on_audience"]
    return defn


@pytest.mark.parametrize("name", sorted(SCENARIOS))
async def test_history_replays(
    name: str, runtime: Runtime, pool: asyncpg.Pool, temporal_client: Client
) -> None:
    scenario = SCENARIOS[name]
    jid, profile, tpl = f"h-{name}-{uuid.uuid4().hex[:6]}", "p-1", "history-hello"
    await publish(pool, definition(jid, tpl, scenario), tpl)
    if scenario.get("setup") == "bookings":
        await bookings(pool, profile)
    router = Router(temporal_client, runtime.workers[0].task_queue)
    router.registry = await Registry.load(pool)
    entry_name, entry_props = scenario.get("entry_event", ("go", {}))
    await router.route(event(entry_name, profile, entry_props), None)
    await asyncio.sleep(0.5)
    for ev_name, props in scenario["events"]:
        await router.route(event(ev_name, profile, props), None)
    handle = temporal_client.get_workflow_handle(journey_workflow_id(jid, profile))
    assert await asyncio.wait_for(handle.result(), 60) == scenario["expect"]
    history = await handle.fetch_history()
    replayer = Replayer(
        workflows=[JourneyWorkflow],
        data_converter=data_converter,
        workflow_runner=workflow_runner(),
    )
    await replayer.replay_workflow(history)
    if os.environ.get("WAYLINE_RECORD_HISTORIES"):
        HISTORIES.mkdir(exist_ok=True)
        (HISTORIES / f"journey-{name}.json").write_text(history.to_json())
