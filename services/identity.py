"""Identity: merging an anonymous profile into a known one, and the alias that remembers it.

Merging follows one rule: *history moves, current state merges*. Events, journey entries,
messages, inbox items, action calls and experiment assignments of the source are re-pointed
to the target, so the known profile's timeline, re-entry rules and frequency caps see the
whole person. The profile row folds into the target's (the target's fields and attributes
win on conflict), consent choices fill only what the target never set, and the source
leaves its audiences (the audience evaluator decides the target's membership).

The source id becomes an alias of the target, so events sent later with the old id land on
the known profile (the ingest query resolves aliases). Aliases are kept flat: an alias
always names a profile that is not itself an alias.

Journeys the source is in cannot follow it: a journey workflow's id names its profile
(`journey:{journey}:{profile}`). They are ended (ledgered as exited, reason
`merged into <target>`, under the old id) after the merge commits; their events are not
lost, they are the target's history now. The known profile enters journeys through its own
later events; entries cut short by the merge do not count against its re-entry rules,
finished ones (moved with the rest of the history) do.

Ingest takes no lock for this (it stays one statement): an event whose insert began before
the alias committed can still be stored under the old id. The next merge of the same pair
(Segment libraries identify on every session) moves such stragglers.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

import asyncpg
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from db.sql import q
from db.types import Executor

log = logging.getLogger("wayline.identity")
_TERMINATE_CONCURRENCY = 16


@dataclass
class Merge:
    """What one merge did; `merged` is False when the ids were already one profile."""

    source: str
    target: str
    merged: bool = False
    linked: bool = False
    events: int = 0
    active_runs: list[tuple[str, str]] = field(default_factory=list)


async def resolve(conn: Executor, profile_id: str) -> str:
    """The profile an id means: the id itself unless it is an alias."""
    found = await conn.fetchval(q("resolve_alias"), profile_id)
    return str(found) if found is not None else profile_id


async def merge(conn: Executor, source: str, target: str, *, relink: bool) -> Merge:
    """Fold `source` into `target` inside the caller's transaction; idempotent.

    `relink=False` (identify) refuses to move an id that is already an alias of another
    known profile: on a shared device the anonymous id was first identified as someone
    else, and merging two known people on that evidence would be wrong. `relink=True`
    (an explicit alias call) merges whatever the source id means into the target.
    """
    src = await resolve(conn, source)
    dst = await resolve(conn, target)
    if src != dst:
        # Lock every id involved (sorted, so two merges cannot deadlock), then look again:
        # a concurrent merge may have linked them meanwhile.
        for key in sorted({source, target, src, dst}):
            await conn.execute(q("lock_identity"), key)
        src = await resolve(conn, source)
        dst = await resolve(conn, target)
    result = Merge(source=source, target=dst)
    if src == dst:
        if source != dst:
            # Already linked: only heal events that an ingest running alongside the first
            # merge stored under the old id before it could see the alias.
            result.events = await _move_events(conn, source, dst)
        return result
    if src != source and not relink:
        log.info("not merging %s into %s: already linked to another profile", source, dst)
        return result
    await conn.execute(q("upsert_alias"), source, dst)
    if src != source:
        await conn.execute(q("upsert_alias"), src, dst)
    await conn.execute(q("repoint_aliases"), src, dst)
    result.linked = True
    await conn.execute(q("merge_profile_row"), src, dst)
    result.events = await _move_events(conn, src, dst)
    entries = await conn.fetch(q("move_entries"), src, dst)
    result.active_runs = [(r["run_id"], r["workflow_id"]) for r in entries]
    for name in (
        "move_messages",
        "move_inbox",
        "move_action_calls",
        "move_experiment_assignments",
        "move_profile_updates",
        "merge_subscriptions",
        "merge_engagement",
    ):
        await conn.execute(q(name), src, dst)
    await conn.execute(q("exit_audiences"), src)
    result.merged = True
    return result


async def _move_events(conn: Executor, src: str, dst: str) -> int:
    """Re-point the events; those not routed yet are queued for the target's dispatch."""
    moved = await conn.fetchrow(q("move_events"), src, dst)
    assert moved is not None
    if moved["moved"]:
        await conn.execute(q("drop_dispatch_row"), src)
    if moved["pending"]:
        await conn.execute(q("queue_profile"), dst)
        await conn.execute(q("notify_events"))
    return int(moved["moved"])


async def end_runs(
    pool: asyncpg.Pool, temporal: Client, runs: list[tuple[str, str]], reason: str
) -> int:
    """Terminate these journey runs and ledger them as exited with `reason`.

    Best effort for the workflows: a run Temporal no longer knows is simply recorded; when
    Temporal cannot be reached the error is logged and the run stays active in the ledger
    (ingest must not fail because Temporal is down).
    """
    if not runs:
        return 0
    sem = asyncio.Semaphore(_TERMINATE_CONCURRENCY)

    async def end(workflow_id: str) -> bool:
        async with sem:
            try:
                await temporal.get_workflow_handle(workflow_id).terminate(reason=reason)
            except RPCError as exc:
                if exc.status != RPCStatusCode.NOT_FOUND:
                    log.warning("could not end %s: %s", workflow_id, exc)
                    return False
            except Exception as exc:  # Temporal unreachable: leave the run for a retry
                log.warning("could not end %s: %s", workflow_id, exc)
                return False
            return True

    done = await asyncio.gather(*(end(wf) for _, wf in runs))
    ended = [run_id for (run_id, _), ok in zip(runs, done, strict=True) if ok]
    await pool.execute(q("end_entries_with_reason"), ended, reason)
    return len(ended)


async def merge_and_end(
    pool: asyncpg.Pool, temporal: Client, source: str, target: str, *, relink: bool
) -> Merge:
    """One merge in its own transaction, then the source's journeys are ended."""
    async with pool.acquire() as conn, conn.transaction():
        result = await merge(conn, source, target, relink=relink)
    await end_runs(pool, temporal, result.active_runs, f"merged into {result.target}")
    return result
