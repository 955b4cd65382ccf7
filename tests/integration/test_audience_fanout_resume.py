"""The page activity of a read-audience run, on the real servers: the snapshot is taken once,
a retried attempt resumes after the heartbeated cursor, the cursor only passes members
that are done, and a stop ends a page early."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

import asyncpg
import pytest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import ActivityEnvironment

from activities.audience_fanout import AudienceFanoutActivities
from core.contracts import FanoutBatchInput, FanoutPrepareInput, FanoutProgress
from core.names import journey_workflow_id
from tests.integration.helpers import publish

pytestmark = pytest.mark.integration


async def exists(client: Client, workflow_id: str) -> bool:
    try:
        await client.get_workflow_handle(workflow_id).describe()
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return False
        raise
    return True


async def test_prepare_once_and_resume_after_the_heartbeat(
    pool: asyncpg.Pool, temporal_client: Client
) -> None:
    tag = uuid.uuid4().hex[:6]
    audience, jid, run_key = f"res-{tag}", f"aud-res-{tag}", f"audience-fanout:aud-res-{tag}-t1"
    members = [f"r-{tag}-{i:02d}" for i in range(12)]
    await pool.execute(
        "INSERT INTO audiences (audience_id, name, definition) VALUES ($1, $1, '{}')", audience
    )
    await pool.executemany(
        "INSERT INTO audience_members (audience_id, profile_id) VALUES ($1, $2)",
        [(audience, m) for m in members[:10]],
    )
    defn = {
        "id": jid,
        "name": jid,
        "entry": {"audience": {"id": audience, "schedule": "@daily"}},
        "start": "done",
        "nodes": {"done": {"type": "end"}},
    }
    await publish(pool, defn, "aud-res-hello")
    # No worker polls this queue: the journeys stay as started, which is what is checked.
    queue = f"no-worker-{tag}"
    acts = AudienceFanoutActivities(pool, temporal_client, queue, concurrency=3)
    env = ActivityEnvironment()

    prepared = await env.run(acts.prepare, FanoutPrepareInput(journey_id=jid, run_key=run_key))
    assert (prepared.live, prepared.members, prepared.audience_id) == (True, 10, audience)
    # Members who join after the run started are not in this run; a retried prepare
    # returns the same snapshot.
    await pool.executemany(
        "INSERT INTO audience_members (audience_id, profile_id) VALUES ($1, $2)",
        [(audience, m) for m in members[10:]],
    )
    again = await env.run(acts.prepare, FanoutPrepareInput(journey_id=jid, run_key=run_key))
    assert again == prepared

    # A retry whose previous attempt heartbeated "done up to member 3 (4 signalled)".
    beats: list[Any] = []
    env.on_heartbeat = lambda *details: beats.append(details[0])
    env.info = dataclasses.replace(
        env.info,
        heartbeat_details=[FanoutProgress(cursor=members[3], signalled=4).model_dump()],
    )
    assert prepared.started_at is not None
    page = FanoutBatchInput(
        journey_id=jid,
        run_key=run_key,
        audience_id=audience,
        started_at=prepared.started_at,
        after=None,
        limit=5,
    )
    result = await env.run(acts.batch, page)
    assert (result.cursor, result.signalled, result.done) == (members[8], 9, False)
    started = [await exists(temporal_client, journey_workflow_id(jid, m)) for m in members]
    assert started == [False] * 4 + [True] * 5 + [False] * 3
    # Every heartbeat names a cursor below which all members are done, in order.
    cursors = [FanoutProgress.model_validate(b).cursor for b in beats]
    assert cursors == sorted(cursors) and cursors[-1] == members[8]

    env.info = dataclasses.replace(env.info, heartbeat_details=[])
    last = await env.run(acts.batch, page.model_copy(update={"after": result.cursor}))
    assert (last.cursor, last.signalled, last.done) == (members[9], 1, True)
    assert not await exists(temporal_client, journey_workflow_id(jid, members[10]))
    for member in members[4:10]:
        await temporal_client.get_workflow_handle(journey_workflow_id(jid, member)).terminate()


class StoppedDuringPage(AudienceFanoutActivities):
    """Stops the journey (for real, in the database) just before the third live check:
    the page start and the first member see it live, the second member does not."""

    calls = 0

    async def live_version(self, journey_id: str) -> Any:
        self.calls += 1
        if self.calls == 3:
            await self.pool.execute(
                "UPDATE journeys SET status = 'stopped' WHERE journey_id = $1", journey_id
            )
        return await super().live_version(journey_id)


async def test_a_stop_ends_the_page_early(pool: asyncpg.Pool, temporal_client: Client) -> None:
    tag = uuid.uuid4().hex[:6]
    audience, jid, run_key = f"stp-{tag}", f"aud-stp-{tag}", f"audience-fanout:aud-stp-{tag}-t1"
    members = [f"s-{tag}-{i}" for i in range(4)]
    await pool.execute(
        "INSERT INTO audiences (audience_id, name, definition) VALUES ($1, $1, '{}')", audience
    )
    await pool.executemany(
        "INSERT INTO audience_members (audience_id, profile_id) VALUES ($1, $2)",
        [(audience, m) for m in members],
    )
    defn = {
        "id": jid,
        "name": jid,
        "entry": {"audience": {"id": audience, "schedule": "@daily"}},
        "start": "done",
        "nodes": {"done": {"type": "end"}},
    }
    await publish(pool, defn, "aud-res-hello")
    acts = StoppedDuringPage(
        pool, temporal_client, f"no-worker-{tag}", concurrency=1, live_check_seconds=0
    )
    env = ActivityEnvironment()
    prepared = await env.run(acts.prepare, FanoutPrepareInput(journey_id=jid, run_key=run_key))
    assert prepared.started_at is not None
    acts.calls = 0
    page = FanoutBatchInput(
        journey_id=jid,
        run_key=run_key,
        audience_id=audience,
        started_at=prepared.started_at,
        limit=10,
    )
    result = await env.run(acts.batch, page)
    assert (result.stopped, result.reason) == (True, f"journey {jid!r} is not live")
    assert (result.cursor, result.signalled) == (members[0], 1)
    started = [await exists(temporal_client, journey_workflow_id(jid, m)) for m in members]
    assert started == [True, False, False, False]
    await temporal_client.get_workflow_handle(journey_workflow_id(jid, members[0])).terminate()
