"""An event is routed once even when its batch outlives the lease (issue 13, point 9).

Real PostgreSQL, the real router and Temporal, a worker of its own and a one-second lease.
The slow batch is a hook on the real router: `route` delivers, then holds the batch until
the test lets it go. Workflow runs are counted in Temporal itself (describe and list): a
re-routed entry event used to start a second, empty run that said "already entered".
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from core.names import journey_workflow_id
from core.settings import Settings
from db.migrate import migrate_url
from journeys.model import Event, Profile
from services.events import store
from tests.integration.helpers import event, eventually, publish, uid
from workers.dispatcher import Dispatcher
from workers.router import Router
from workers.worker import Runtime, running

pytestmark = pytest.mark.integration

LEASE = 1.0


@pytest.fixture(scope="module")
async def lease_settings(settings: Settings) -> Settings:
    """A database and task queue of their own: the session's dispatcher must not take these
    events (it would route them to its own queue)."""
    own = f"{settings.database_url.rsplit('/', 1)[0]}/lease{uuid.uuid4().hex[:8]}"
    await migrate_url(own, create=True)
    return settings.model_copy(
        update={
            "database_url": own,
            "task_queue": uid("lease"),
            "dispatch_lease_seconds": LEASE,
            "reconcile_seconds": 0,
            "alert_interval_seconds": 0,
        }
    )


@pytest.fixture(scope="module")
async def rt(lease_settings: Settings) -> AsyncIterator[Runtime]:
    async with running(lease_settings, dispatch=False) as runtime:
        yield runtime


class HeldRouter(Router):
    """The real router, holding its batch after each delivery until `go` is set."""

    def __init__(self, rt: Runtime, queue: str) -> None:
        super().__init__(rt.client, queue)
        self.delivered = asyncio.Event()
        self.go = asyncio.Event()

    async def route(
        self, event: Event, profile: Profile | None, entered: frozenset[str] = frozenset()
    ) -> None:
        await super().route(event, profile, entered)
        self.delivered.set()
        await self.go.wait()


async def stored_entry(pool: asyncpg.Pool) -> tuple[Event, str]:
    """A live one-node journey and one stored event entering it; returns the event and the
    workflow id it enters."""
    jid = uid("lease")
    await publish(
        pool,
        {
            "id": jid,
            "name": jid,
            "entry": {"event": f"{jid}.go"},
            "start": "done",
            "nodes": {"done": {"type": "end"}},
        },
        uid("lease-tpl"),
    )
    ev = event(f"{jid}.go", uid("p"))
    await store(pool, [ev])
    return ev, journey_workflow_id(jid, ev.profile_id)


async def runs_of(rt: Runtime, workflow_id: str) -> int:
    return len([w async for w in rt.client.list_workflows(f"WorkflowId = '{workflow_id}'")])


async def routed(pool: asyncpg.Pool, ev: Event) -> bool:
    query = "SELECT dispatched_at IS NOT NULL FROM events WHERE event_id = $1"
    return bool(await pool.fetchval(query, ev.event_id))


async def test_a_batch_slower_than_its_lease_is_not_claimed_again(
    rt: Runtime, lease_settings: Settings
) -> None:
    queue = lease_settings.task_queue
    ev, wid = await stored_entry(rt.pool)
    held = HeldRouter(rt, queue)
    first = Dispatcher(rt.pool, held, lease_settings)
    other = Dispatcher(rt.pool, Router(rt.client, queue), lease_settings)
    batch = asyncio.create_task(first.dispatch_once())
    await asyncio.wait_for(held.delivered.wait(), 30)
    handle = rt.client.get_workflow_handle(wid)
    assert await asyncio.wait_for(handle.result(), 30) == "completed"
    first_run = (await handle.describe()).run_id
    await asyncio.sleep(3 * LEASE)  # the claim's own lease has run out three times over
    assert not await other.dispatch_once(), "the profile is still leased by the slow batch"
    held.go.set()
    assert await asyncio.wait_for(batch, 30)
    assert await routed(rt.pool, ev)
    assert (await handle.describe()).run_id == first_run
    assert await eventually(lambda: runs_of(rt, wid)) == 1


async def test_an_event_re_routed_after_a_dispatcher_died_enters_no_second_run(
    rt: Runtime, lease_settings: Settings
) -> None:
    queue = lease_settings.task_queue
    ev, wid = await stored_entry(rt.pool)
    held = HeldRouter(rt, queue)
    dying = Dispatcher(rt.pool, held, lease_settings)
    batch = asyncio.create_task(dying.dispatch_once())
    await asyncio.wait_for(held.delivered.wait(), 30)
    handle = rt.client.get_workflow_handle(wid)
    assert await asyncio.wait_for(handle.result(), 30) == "completed"
    first_run = (await handle.describe()).run_id
    batch.cancel()  # it dies holding the lease, the event routed but not marked
    await asyncio.wait([batch])
    assert not await routed(rt.pool, ev)
    await asyncio.sleep(2 * LEASE)
    other = Dispatcher(rt.pool, Router(rt.client, queue), lease_settings)
    assert await other.dispatch_once(), "the expired lease is claimed again"
    assert await routed(rt.pool, ev)
    assert (await handle.describe()).run_id == first_run, "a second run was started"
    assert await eventually(lambda: runs_of(rt, wid)) == 1
