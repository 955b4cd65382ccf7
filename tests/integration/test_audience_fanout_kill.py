"""A read-audience run of 5,000 members survives a worker SIGKILL midway: every member enters
exactly once (one entry-ledger row each), and the run resumes where it stopped."""

from __future__ import annotations

import asyncio
import signal
import time
import uuid

import asyncpg
import pytest
from temporalio.client import Client

from core.contracts import AudienceFanoutInput, AudienceFanoutResult
from core.names import AUDIENCE_FANOUT_WORKFLOW
from core.settings import Settings
from tests.integration.campaign_helpers import start_worker
from tests.integration.helpers import publish

pytestmark = pytest.mark.integration
MEMBERS = 5_000
KILL_AFTER = 1_200  # entries in the ledger when the worker is killed


async def entered(pool: asyncpg.Pool, jid: str) -> int:
    count: int = await pool.fetchval(
        "SELECT count(*) FROM journey_entries WHERE journey_id = $1", jid
    )
    return count


async def ledger_reaches(pool: asyncpg.Pool, jid: str, count: int, *, done: bool) -> None:
    """Waits until `count` members entered (and, with `done`, none is still inside)."""
    query = (
        "SELECT count(*) AS entered, count(*) FILTER (WHERE ended_at IS NULL) AS inside "
        "FROM journey_entries WHERE journey_id = $1"
    )
    async with asyncio.timeout(600):
        while True:
            row = await pool.fetchrow(query, jid)
            assert row is not None
            if row["entered"] >= count and not (done and row["inside"]):
                return
            await asyncio.sleep(0.5)


async def test_fanout_survives_sigkill_and_enters_everyone_once(
    settings: Settings, pool: asyncpg.Pool, temporal_client: Client
) -> None:
    tag = uuid.uuid4().hex[:8]
    audience, jid, queue = f"big-{tag}", f"aud-big-{tag}", f"fanout-kill-{tag}"
    await pool.execute(
        "INSERT INTO audiences (audience_id, name, definition) VALUES ($1, $1, '{}')", audience
    )
    await pool.execute(
        "INSERT INTO audience_members (audience_id, profile_id) "
        "SELECT $1, $2 || lpad(i::text, 5, '0') FROM generate_series(1, $3::int) i",
        audience,
        f"m-{tag}-",
        MEMBERS,
    )
    # The cheapest journey: the entry checks and the end. `always` so that only the per-run
    # entry id can keep a re-signalled member from entering twice.
    defn = {
        "id": jid,
        "name": jid,
        "entry": {"audience": {"id": audience, "schedule": "once"}},
        "reentry": {"mode": "always"},
        "start": "done",
        "nodes": {"done": {"type": "end"}},
    }
    await publish(pool, defn, "aud-big-hello")
    began = time.monotonic()
    worker = start_worker(settings, queue)
    try:
        handle = await temporal_client.start_workflow(
            AUDIENCE_FANOUT_WORKFLOW,
            AudienceFanoutInput(
                journey_id=jid, page_size=500, heartbeat_seconds=5, history_limit=25
            ),
            id=f"audience-fanout:{jid}:kill-test",
            task_queue=queue,
            result_type=AudienceFanoutResult,
        )
        await ledger_reaches(pool, jid, KILL_AFTER, done=False)
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        at_kill = await entered(pool, jid)
        status = "SELECT status FROM audience_runs WHERE journey_id = $1"
        assert await pool.fetchval(status, jid) == "running", "killed after the run; raise MEMBERS"
        worker = start_worker(settings, queue)
        result = await asyncio.wait_for(handle.result(), 400)
        # Journeys still queued in Temporal enter after the run has signalled them all.
        await ledger_reaches(pool, jid, MEMBERS, done=True)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)
    print(
        f"\n{MEMBERS} members entered in {time.monotonic() - began:.1f} s "
        f"(killed at {at_kill} entries)"
    )
    assert (result.status, result.members, result.signalled) == ("completed", MEMBERS, MEMBERS)
    rows = await pool.fetch(
        "SELECT profile_id, count(*) AS n, array_agg(DISTINCT status) AS statuses "
        "FROM journey_entries WHERE journey_id = $1 GROUP BY profile_id",
        jid,
    )
    assert len(rows) == MEMBERS, "every member entered"
    assert max(r["n"] for r in rows) == 1, "no member entered twice"
    assert {s for r in rows for s in r["statuses"]} == {"completed"}
    run_key = await pool.fetchval(
        "SELECT count(DISTINCT split_part(entry_event_id, ':' || profile_id, 1)) "
        "FROM journey_entries WHERE journey_id = $1",
        jid,
    )
    assert run_key == 1  # one run, one entry id per member
    # The run continued as new at least once (history_limit) and kept its figures.
    latest = await temporal_client.get_workflow_handle(handle.id).describe()
    assert latest.run_id != handle.first_execution_run_id
    figures = await pool.fetchrow(
        "SELECT members, signalled, status FROM audience_runs WHERE journey_id = $1", jid
    )
    assert figures is not None and tuple(figures) == (MEMBERS, MEMBERS, "completed")
