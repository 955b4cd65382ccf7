"""Moving running profiles from version 1 to version 2 on the real stack: a dry run counts,
an unsafe mapping is refused naming its field, the execution moves each waiting profile to
the mapped node of version 2 (its awaited event then takes the v2 path), the audit row
says who moved how many, and the message sent before the move is not sent again."""

from __future__ import annotations

import asyncio
import os
import uuid
from functools import partial
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from temporalio.client import Client
from temporalio.worker import Replayer

from core.converter import data_converter
from core.names import journey_workflow_id
from tests.integration.conftest import KeyMaker
from tests.integration.helpers import eventually
from tests.integration.test_abandoned_cart import messages_for
from workers.worker import Runtime
from workflows.journey import JourneyWorkflow
from workflows.sandbox import workflow_runner

pytestmark = pytest.mark.integration
HISTORY = Path(__file__).parent.parent / "histories" / "journey-migration.json"


def definition(jid: str, run: str, version: int) -> dict[str, Any]:
    """v1: welcome, hold (awaits `go`), thanks; v2 the same with every node renamed."""
    welcome, hold, thanks, done = ("welcome", "hold", "thanks", "done")
    if version == 2:
        welcome, hold, thanks, done = ("hello", "await_go", "thank_you", "finish")
    log = {"type": "message", "channel": "log"}
    return {
        "id": jid,
        "name": "Migrating",
        "entry": {"event": f"{jid}.signed_up"},
        "start": welcome,
        "nodes": {
            welcome: {**log, "template": f"{run}-welcome", "next": hold},
            hold: {
                "type": "wait_for_event",
                "event": "go",
                "timeout": "PT10M",
                "on_event": thanks,
                "on_timeout": done,
            },
            thanks: {**log, "template": f"{run}-thanks-v{version}", "next": done},
            done: {"type": "end"},
        },
    }


async def test_running_profiles_move_to_version_2(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    make_key: KeyMaker,
    runtime: Runtime,
    temporal_client: Client,
    pool: asyncpg.Pool,
) -> None:
    api, h = api_client, admin_headers
    jid, run = f"mig-{uuid.uuid4().hex[:6]}", uuid.uuid4().hex[:6]
    for name, text in (
        ("welcome", "welcome"),
        ("thanks-v1", "thanks v1"),
        ("thanks-v2", "thanks v2"),
    ):
        resp = await api.put(
            f"/v1/templates/{run}-{name}", json={"channel": "log", "body": text}, headers=h
        )
        assert resp.is_success, resp.text

    async def publish(version: int) -> None:
        resp = await api.put(f"/v1/journeys/{jid}", json=definition(jid, run, version), headers=h)
        assert resp.is_success, resp.text
        resp = await api.post(f"/v1/journeys/{jid}/publish", headers=h)
        assert resp.is_success and resp.json()["version"] == version, resp.text

    async def event(name: str, profile: str) -> None:
        resp = await api.post("/v1/events", json={"name": name, "profile_id": profile}, headers=h)
        assert resp.status_code == 202, resp.text

    async def state(profile: str) -> dict[str, Any] | None:
        handle = temporal_client.get_workflow_handle(journey_workflow_id(jid, profile))
        try:
            return await handle.query("state")
        except Exception:
            return None

    async def at(profile: str, version: int, node: str) -> bool:
        found = await state(profile)
        return bool(found) and (found["version"], found["node"]) == (version, node)  # type: ignore[index]

    profiles = [f"{run}-p{i}" for i in range(3)]
    await publish(1)
    for p in profiles:
        await event(f"{jid}.signed_up", p)
    for p in profiles:
        await eventually(partial(at, p, 1, "hold"))
        assert [m["body"] for m in await messages_for(api, h, p, jid)] == ["welcome"]
    await publish(2)

    url = f"/v1/journeys/{jid}/migrations"
    body: dict[str, Any] = {
        "from_version": 1,
        "to_version": 2,
        "mapping": {"welcome": "hello", "hold": "await_go"},
    }
    resp = await api.post(url, json={**body, "mapping": {"hold": "thank_you"}}, headers=h)
    assert resp.status_code == 422, resp.text
    assert [(f["field"], f["message"]) for f in resp.json()["fields"]] == [
        ("mapping.hold", "a wait_for_event maps only to a wait or wait_for_event, not a message")
    ]

    resp = await api.post(url, json=body, headers=h)
    assert resp.status_code == 200, resp.text
    assert resp.json() == {
        "migration_id": None,
        "dry_run": True,
        "from_version": 1,
        "to_version": 2,
        "candidates": 3,
        "moves": {"hold -> await_go": 3},
        "exits": 0,
        "moved": 3,
        "skipped": {},
        "failed": 0,
    }
    assert await at(profiles[0], 1, "hold"), "a dry run moves nothing"
    only = {**body, "when": f"profile.profile_id == '{profiles[1]}'"}
    resp = await api.post(url, json=only, headers=h)
    assert resp.status_code == 200, resp.text
    assert (resp.json()["moves"], resp.json()["skipped"]) == (
        {"hold -> await_go": 1},
        {"when is false": 2},
    )
    resp = await api.post(url, json={**body, "when": "vars.x +"}, headers=h)
    assert resp.status_code == 422, resp.text
    assert [f["field"] for f in resp.json()["fields"]] == ["when"]

    migrator = await make_key("journeys:write", name="migrator")
    resp = await api.post(url, json={**body, "dry_run": False}, headers=migrator)
    assert resp.status_code == 200, resp.text
    done = resp.json()
    assert (done["dry_run"], done["moved"], done["failed"]) == (False, 3, 0)
    for p in profiles:
        await eventually(partial(at, p, 2, "await_go"))

    async def audited() -> dict[str, Any]:
        items = (await api.get(url, headers=h)).json()["items"]
        return items[0] if items and items[0]["applied"] == 3 else {}

    row = await eventually(audited)
    assert {k: row[k] for k in ("migration_id", "key_name", "from_version", "to_version")} == {
        "migration_id": done["migration_id"],
        "key_name": "migrator",
        "from_version": 1,
        "to_version": 2,
    }
    assert (row["mapping"], row["moved"], row["skipped"], row["failed"]) == (
        body["mapping"],
        3,
        0,
        0,
    )

    for p in profiles:
        await event("go", p)
    for p in profiles:

        async def both(p: str = p) -> list[dict[str, Any]]:
            found = await messages_for(api, h, p, jid)
            return found if len(found) >= 2 else []

        sent = await eventually(both)
        assert sorted((m["body"], m["version"], m["node_id"]) for m in sent) == [
            ("thanks v2", 2, "thank_you"),
            ("welcome", 1, "welcome"),
        ]
    resp = await api.post(url, json=body, headers=h)
    assert resp.json()["candidates"] == 0, "the entry ledger says the runs are in version 2"
    await _replay_and_record(temporal_client, journey_workflow_id(jid, profiles[0]))
    steps = await pool.fetch(
        "SELECT node_id, visit, version, outcome FROM journey_steps WHERE workflow_id = $1 "
        "ORDER BY seq",
        journey_workflow_id(jid, profiles[0]),
    )
    assert [tuple(r) for r in steps] == [
        ("welcome", 1, 1, "exited"),
        ("hold", 1, 1, "exited"),
        ("await_go", 2, 2, "exited"),
        ("thank_you", 1, 2, "exited"),
        ("finish", 1, 2, "exited"),
    ]
    moved = await pool.fetchval(
        "SELECT detail FROM journey_steps WHERE workflow_id = $1 AND node_id = 'hold'",
        journey_workflow_id(jid, profiles[0]),
    )
    assert moved == "moved to version 2 at await_go"


async def _replay_and_record(client: Client, workflow_id: str) -> None:
    """A run with a migration replays; WAYLINE_RECORD_HISTORIES=1 writes it for
    tests/unit/test_replay.py."""
    handle = client.get_workflow_handle(workflow_id)
    assert await asyncio.wait_for(handle.result(), 60) == "completed"
    history = await handle.fetch_history()
    replayer = Replayer(
        workflows=[JourneyWorkflow],
        data_converter=data_converter,
        workflow_runner=workflow_runner(),
    )
    await replayer.replay_workflow(history)
    if os.environ.get("WAYLINE_RECORD_HISTORIES"):
        HISTORY.write_text(history.to_json())
