"""Audience-driven journeys on the real servers: real-time entry and exit through the outbox,
Temporal Schedules at publish and stop, `once` runs, and entry events that enter once.

The audience evaluator is not part of these tests: they write the audience tables and the
`audience.entered` / `audience.exited` outbox events it would write (the shared contract).
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest
from temporalio.client import Client, ScheduleOverlapPolicy, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from core.contracts import AudienceFanoutInput, AudienceFanoutResult
from core.names import (
    AUDIENCE_FANOUT_WORKFLOW,
    audience_journey_schedule_id,
    audience_once_workflow_id,
    journey_workflow_id,
)
from tests.integration.helpers import event, publish
from workers.router import Registry, Router
from workers.worker import Runtime

pytestmark = pytest.mark.integration
WAIT = {"type": "wait", "duration": "P1D", "next": "done"}


def definition(jid: str, entry: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {
        "id": jid,
        "name": jid,
        "entry": entry,
        "start": "pause",
        "nodes": {"pause": WAIT, "done": {"type": "end"}},
        **top,
    }


async def put_and_publish(
    api: httpx.AsyncClient, headers: dict[str, str], defn: dict[str, Any]
) -> httpx.Response:
    resp = await api.put(f"/v1/journeys/{defn['id']}", json=defn, headers=headers)
    assert resp.status_code in (200, 201), resp.text
    return await api.post(f"/v1/journeys/{defn['id']}/publish", headers=headers)


async def add_audience(pool: asyncpg.Pool, audience: str, members: list[str]) -> None:
    await pool.execute(
        "INSERT INTO audiences (audience_id, name, definition) VALUES ($1, $1, '{}')", audience
    )
    await pool.executemany(
        "INSERT INTO audience_members (audience_id, profile_id) VALUES ($1, $2)",
        [(audience, m) for m in members],
    )


async def membership_event(
    api: httpx.AsyncClient, headers: dict[str, str], change: str, audience: str, profile: str
) -> None:
    """What the audience code writes to the outbox when a membership changes."""
    body = {
        "event_id": f"audience:{audience}:{profile}:{uuid.uuid4().hex[:8]}",
        "name": f"audience.{change}",
        "profile_id": profile,
        "properties": {"audience_id": audience},
    }
    resp = await api.post("/v1/events", json=body, headers=headers)
    assert resp.status_code == 202, resp.text


async def started(client: Client, workflow_id: str) -> None:
    """Waits until the workflow exists (its first run was started)."""
    handle = client.get_workflow_handle(workflow_id)
    async with asyncio.timeout(30):
        while True:
            try:
                await handle.describe()
                return
            except RPCError as exc:
                if exc.status != RPCStatusCode.NOT_FOUND:
                    raise
            await asyncio.sleep(0.2)


async def exists(client: Client, workflow_id: str) -> bool:
    try:
        await client.get_workflow_handle(workflow_id).describe()
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return False
        raise
    return True


async def entries(pool: asyncpg.Pool, jid: str, count: int, *, settled: bool = False) -> list[Any]:
    """The ledger rows of the journey once there are `count` of them (and, if `settled`,
    none still `active`: a fan-out completes once it has entered its members, before their
    journeys have run to their end)."""
    async with asyncio.timeout(60):
        while True:
            rows = await pool.fetch(
                "SELECT profile_id, status, reason, entry_event_id FROM journey_entries "
                "WHERE journey_id = $1 ORDER BY profile_id",
                jid,
            )
            if len(rows) >= count and not (settled and any(r["status"] == "active" for r in rows)):
                return rows
            await asyncio.sleep(0.2)


async def test_realtime_entry_and_exit_through_the_outbox(
    runtime: Runtime,
    pool: asyncpg.Pool,
    temporal_client: Client,
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
) -> None:
    tag = uuid.uuid4().hex[:6]
    vip, other, profile = f"vip-{tag}", f"other-{tag}", f"p-{tag}"
    welcome, winback, pros = f"aud-welcome-{tag}", f"aud-winback-{tag}", f"aud-pros-{tag}"
    await add_audience(pool, vip, [])
    await add_audience(pool, other, [])
    for defn in (
        definition(welcome, {"audience": {"id": vip, "on": "enter"}}, exit_on_audience=[vip]),
        definition(winback, {"audience": {"id": vip, "on": "exit"}}),
        definition(
            pros,
            {"audience": {"id": vip, "on": "enter"}, "when": "profile.attributes.plan == 'pro'"},
        ),
    ):
        resp = await put_and_publish(api_client, admin_headers, defn)
        assert resp.status_code == 201, resp.text
        assert not await exists(temporal_client, audience_journey_schedule_id(defn["id"]))

    # Entering another audience enters nothing; entering vip enters the welcome journey.
    await membership_event(api_client, admin_headers, "entered", other, profile)
    await membership_event(api_client, admin_headers, "entered", vip, profile)
    welcome_id = journey_workflow_id(welcome, profile)
    await started(temporal_client, welcome_id)
    assert not await exists(temporal_client, journey_workflow_id(pros, profile))  # `when` false
    assert not await exists(temporal_client, journey_workflow_id(winback, profile))
    [row] = await entries(pool, welcome, 1)
    assert row["status"] == "active" and row["entry_event_id"].startswith(f"audience:{vip}:")

    # Leaving another audience changes nothing; leaving vip ends the welcome journey where
    # it waits, and enters the win-back journey.
    await membership_event(api_client, admin_headers, "exited", other, profile)
    await membership_event(api_client, admin_headers, "exited", vip, profile)
    result = await asyncio.wait_for(temporal_client.get_workflow_handle(welcome_id).result(), 30)
    assert result == "exited"
    [row] = await entries(pool, welcome, 1)
    assert (row["status"], row["reason"]) == ("exited", f"left audience {vip}")
    await started(temporal_client, journey_workflow_id(winback, profile))
    [back] = await entries(pool, winback, 1)
    assert back["status"] == "active"
    await temporal_client.get_workflow_handle(journey_workflow_id(winback, profile)).terminate()


async def test_an_entry_event_enters_once(
    runtime: Runtime, pool: asyncpg.Pool, temporal_client: Client
) -> None:
    """A repeated signal-with-start of one entry event (a retried page, a re-routed event)
    does not enter again after the first run ended, even with reentry always."""
    jid, profile = f"aud-once-{uuid.uuid4().hex[:6]}", "p-once"
    defn = {
        "id": jid,
        "name": jid,
        "entry": {"event": "go"},
        "reentry": {"mode": "always"},
        "start": "done",
        "nodes": {"done": {"type": "end"}},
    }
    await publish(pool, defn, "aud-hello")
    router = Router(temporal_client, runtime.workers[0].task_queue)
    router.registry = await Registry.load(pool)
    handle = temporal_client.get_workflow_handle(journey_workflow_id(jid, profile))
    first = event("go", profile)
    results = []
    for ev in (first, first, event("go", profile)):
        await router.route(ev, None)
        results.append(await asyncio.wait_for(handle.result(), 30))
    assert results[0] == "completed"
    assert results[1] == f"not entered: already entered with event {first.event_id}"
    assert results[2] == "completed"  # another event enters again (reentry always)
    rows = await entries(pool, jid, 2)
    assert len(rows) == 2


async def test_schedule_follows_publish_and_stop(
    runtime: Runtime,
    pool: asyncpg.Pool,
    temporal_client: Client,
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
) -> None:
    tag = uuid.uuid4().hex[:6]
    audience, jid = f"weekly-{tag}", f"aud-weekly-{tag}"
    members = [f"w-{tag}-{i}" for i in range(3)]
    await add_audience(pool, audience, members)
    entry = {"audience": {"id": audience, "schedule": "0 9 * * MON", "timezone": "Europe/Paris"}}
    assert (
        await put_and_publish(api_client, admin_headers, definition(jid, entry))
    ).status_code == 201

    handle = temporal_client.get_schedule_handle(audience_journey_schedule_id(jid))
    desc = await handle.describe()
    assert desc.schedule.spec.time_zone_name == "Europe/Paris"
    assert desc.schedule.policy.overlap == ScheduleOverlapPolicy.SKIP
    assert desc.schedule.policy.catchup_window == timedelta(hours=1)
    assert "0 9 * * MON" in (desc.schedule.state.note or "")
    paris = ZoneInfo("Europe/Paris")
    upcoming = [t.astimezone(paris) for t in desc.info.next_action_times]
    assert upcoming and all((t.weekday(), t.hour, t.minute) == (0, 9, 0) for t in upcoming)

    # A run now (as at 09:00 on Monday): every member enters.
    await handle.trigger()
    rows = await entries(pool, jid, 3)
    assert [r["profile_id"] for r in rows] == members
    run_keys = {r["entry_event_id"].rsplit(":", 1)[0] for r in rows}
    assert len(run_keys) == 1 and run_keys.pop().startswith(f"audience-fanout:{jid}-")

    # Publishing a new version updates the schedule; stopping deletes it.
    entry["audience"]["schedule"] = "30 7 * * *"
    assert (
        await put_and_publish(api_client, admin_headers, definition(jid, entry))
    ).status_code == 201
    desc = await handle.describe()
    assert "30 7 * * *" in (desc.schedule.state.note or "")
    upcoming = [t.astimezone(paris) for t in desc.info.next_action_times]
    assert upcoming and all((t.hour, t.minute) == (7, 30) for t in upcoming)
    resp = await api_client.post(f"/v1/journeys/{jid}/stop?terminate=true", headers=admin_headers)
    assert resp.status_code == 200, resp.text
    with pytest.raises(RPCError) as err:
        await handle.describe()
    assert err.value.status == RPCStatusCode.NOT_FOUND


async def test_once_runs_at_publish_with_the_entry_filter(
    runtime: Runtime,
    pool: asyncpg.Pool,
    temporal_client: Client,
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
) -> None:
    tag = uuid.uuid4().hex[:6]
    audience, jid = f"launch-{tag}", f"aud-launch-{tag}"
    pros, frees = [f"l-{tag}-pro-{i}" for i in range(3)], [f"l-{tag}-free-{i}" for i in range(2)]
    for pid in pros + frees:
        plan = "pro" if pid in pros else "free"
        await pool.execute(
            "INSERT INTO profiles (profile_id, attributes) VALUES ($1, $2)", pid, {"plan": plan}
        )
    await add_audience(pool, audience, pros + frees)
    defn = {
        **definition(
            jid,
            {
                "audience": {"id": audience, "schedule": "once"},
                "when": "profile.attributes.plan == 'pro'",
            },
        ),
        "reentry": {"mode": "always"},
        "start": "done",
    }
    defn["nodes"] = {"done": {"type": "end"}}
    assert (await put_and_publish(api_client, admin_headers, defn)).status_code == 201
    run = temporal_client.get_workflow_handle(
        audience_once_workflow_id(jid, 1), result_type=AudienceFanoutResult
    )
    result = await asyncio.wait_for(run.result(), 60)
    first = await run.describe()
    assert (result.status, result.members, result.signalled, result.filtered) == (
        "completed",
        5,
        3,
        2,
    )
    rows = await entries(pool, jid, 3, settled=True)
    assert [r["profile_id"] for r in rows] == pros
    assert {r["status"] for r in rows} == {"completed"}
    figures = await pool.fetchrow(
        "SELECT members, signalled, filtered, status, finished_at FROM audience_runs "
        "WHERE journey_id = $1",
        jid,
    )
    assert figures is not None and figures["status"] == "completed" and figures["finished_at"]
    left = "SELECT count(*) FROM audience_run_members WHERE run_key = $1"
    assert await pool.fetchval(left, audience_once_workflow_id(jid, 1)) == 0  # snapshot dropped
    assert not await exists(temporal_client, audience_journey_schedule_id(jid))

    # Publishing the same version again starts no second run.
    resp = await api_client.post(f"/v1/journeys/{jid}/publish", headers=admin_headers)
    assert resp.status_code == 200, resp.text
    latest = await temporal_client.get_workflow_handle(audience_once_workflow_id(jid, 1)).describe()
    assert latest.run_id == first.run_id and latest.status == WorkflowExecutionStatus.COMPLETED
    assert len(await entries(pool, jid, 3)) == 3


async def test_a_run_of_a_stopped_journey_enters_nobody(
    runtime: Runtime, pool: asyncpg.Pool, temporal_client: Client
) -> None:
    tag = uuid.uuid4().hex[:6]
    audience, jid = f"gone-{tag}", f"aud-gone-{tag}"
    await add_audience(pool, audience, [f"g-{tag}"])
    entry = {"audience": {"id": audience, "schedule": "@daily"}}
    await publish(pool, definition(jid, entry), "aud-hello")
    await pool.execute("UPDATE journeys SET status = 'stopped' WHERE journey_id = $1", jid)
    result = await temporal_client.execute_workflow(
        AUDIENCE_FANOUT_WORKFLOW,
        AudienceFanoutInput(journey_id=jid),
        id=f"audience-fanout:{jid}-stopped",
        task_queue=runtime.workers[0].task_queue,
        result_type=AudienceFanoutResult,
    )
    assert (result.status, result.reason) == ("not run", f"journey {jid!r} is not live")
    assert await pool.fetchval("SELECT count(*) FROM audience_runs WHERE journey_id = $1", jid) == 0
    assert (
        await pool.fetchval("SELECT count(*) FROM journey_entries WHERE journey_id = $1", jid) == 0
    )
