"""Activities of read-audience runs: snapshot the members, enter them page by page, finish.

Exactly once per run and member, whatever crashes: the snapshot is taken once per run
key; a page heartbeats the last profile id below which every member is done, so a retried
attempt resumes there; and each member's entry event id is `<run key>:<profile id>`, so
the few members a resumed page signals again are no-ops — delivered to a run already
inside as a duplicate event, or refused by the entry ledger (`entry_event_id`) when the
first run has already ended.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
from temporalio import activity
from temporalio.client import Client

from core.contracts import (
    FanoutBatchInput,
    FanoutBatchResult,
    FanoutFinishInput,
    FanoutPrepareInput,
    FanoutPrepareResult,
    FanoutProgress,
)
from db.sql import q
from journeys.model import AUDIENCE_RUN, Event, JourneyDefinition, Profile
from journeys.routing import entry_matches, entry_needs_profile, entry_open
from services.journey_client import enter_journey

DEFAULT_CONCURRENCY = 32
# While a page is entered, whether the journey is still live is read again this often, so a
# stop ends the run within about this time rather than at the end of the page.
LIVE_CHECK_SECONDS = 1.0


@dataclass(frozen=True)
class LiveVersion:
    version: int
    name: str
    definition: JourneyDefinition


def member_event(run_key: str, audience_id: str, profile_id: str, started_at: datetime) -> Event:
    """The entry event of one member in one run: its id is the per-run entry id."""
    return Event(
        event_id=f"{run_key}:{profile_id}",
        name=AUDIENCE_RUN,
        profile_id=profile_id,
        timestamp=started_at,
        properties={"audience_id": audience_id, "run": run_key},
    )


class LiveCheck:
    """Whether the journey is still live, read at most every `live_check_seconds`."""

    def __init__(self, acts: AudienceFanoutActivities, journey_id: str) -> None:
        self.acts = acts
        self.journey_id = journey_id
        self.stopped: str | None = None
        self._checked = time.monotonic()
        self._lock = asyncio.Lock()

    async def still_live(self) -> bool:
        async with self._lock:
            due = time.monotonic() - self._checked >= self.acts.live_check_seconds
            if self.stopped is None and due:
                live = await self.acts.live_version(self.journey_id)
                self._checked = time.monotonic()
                if isinstance(live, str):
                    self.stopped = live
        return self.stopped is None


class AudienceFanoutActivities:
    """Entries are signal-with-starts of JourneyWorkflow on `task_queue`, `concurrency` at once."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        client: Client,
        task_queue: str,
        concurrency: int = DEFAULT_CONCURRENCY,
        live_check_seconds: float = LIVE_CHECK_SECONDS,
    ) -> None:
        self.pool = pool
        self.client = client
        self.task_queue = task_queue
        self.concurrency = concurrency
        self.live_check_seconds = live_check_seconds
        self._definitions: OrderedDict[tuple[str, int], JourneyDefinition] = OrderedDict()

    async def live_version(self, journey_id: str) -> LiveVersion | str:
        """The live version entered by read-audience runs, or why there is none."""
        row = await self.pool.fetchrow(q("fanout_journey"), journey_id)
        if row is None:
            return f"no journey {journey_id!r}"
        if row["status"] != "live" or row["definition"] is None:
            return f"journey {journey_id!r} is not live"
        key = (journey_id, row["live_version"])
        defn = self._definitions.get(key)
        if defn is None:  # published versions are immutable
            defn = JourneyDefinition.model_validate(row["definition"])
            self._definitions[key] = defn
            if len(self._definitions) > 256:
                self._definitions.popitem(last=False)
        audience = defn.entry.audience
        if audience is None or not audience.scheduled:
            return f"version {row['live_version']} of {journey_id!r} has no audience schedule"
        return LiveVersion(row["live_version"], row["name"], defn)

    @activity.defn(name="audience_fanout_prepare")
    async def prepare(self, inp: FanoutPrepareInput) -> FanoutPrepareResult:
        """Take the run's snapshot of the members, once: a retry finds it taken."""
        async with self.pool.acquire() as conn, conn.transaction():
            run = await conn.fetchrow(q("fanout_run"), inp.run_key)
            if run is None:
                live = await self.live_version(inp.journey_id)
                if isinstance(live, str):
                    return FanoutPrepareResult(live=False, reason=live)
                audience_id = live.definition.entry.audience.id  # type: ignore[union-attr]
                if await conn.fetchval(
                    q("fanout_insert_run"), inp.run_key, inp.journey_id, audience_id
                ):
                    await conn.execute(q("fanout_snapshot"), inp.run_key, audience_id)
                    await conn.fetchval(q("fanout_set_members"), inp.run_key)
                run = await conn.fetchrow(q("fanout_run"), inp.run_key)
        assert run is not None
        return FanoutPrepareResult(
            live=True,
            audience_id=run["audience_id"],
            started_at=run["started_at"],
            members=run["members"],
        )

    @activity.defn(name="audience_fanout_batch")
    async def batch(self, inp: FanoutBatchInput) -> FanoutBatchResult:
        """Enter the next page of members; heartbeats say how far it got, for a retry."""
        live = await self.live_version(inp.journey_id)
        if isinstance(live, str):
            return FanoutBatchResult(stopped=True, reason=live, cursor=inp.after)
        now = datetime.now(UTC)
        if not entry_open(live.definition, now):
            return FanoutBatchResult(
                stopped=True, reason="outside the entry window", cursor=inp.after
            )
        details = activity.info().heartbeat_details
        progress = (
            FanoutProgress.model_validate(details[0])
            if details
            else FanoutProgress(cursor=inp.after)
        )
        ids: list[str] = [
            r["profile_id"]
            for r in await self.pool.fetch(
                q("fanout_page"), inp.run_key, progress.cursor or "", inp.limit
            )
        ]
        profiles = await self._profiles(live.definition, ids)
        outcome: list[bool | None] = [None] * len(ids)  # True: signalled, False: filtered
        done = 0

        def advance() -> None:
            """Move the cursor over the members done in order, and heartbeat it."""
            nonlocal done
            while done < len(ids) and outcome[done] is not None:
                if outcome[done]:
                    progress.signalled += 1
                else:
                    progress.filtered += 1
                progress.cursor = ids[done]
                done += 1
            activity.heartbeat(progress.model_dump(mode="json"))

        sem = asyncio.Semaphore(self.concurrency)
        check = LiveCheck(self, inp.journey_id)
        activity.heartbeat(progress.model_dump(mode="json"))

        async def enter(index: int, profile_id: str) -> None:
            async with sem:
                if not await check.still_live():
                    return  # left undone: the cursor stops before it
                event = member_event(inp.run_key, inp.audience_id, profile_id, inp.started_at)
                profile = profiles.get(profile_id) if profiles is not None else None
                wanted = entry_matches(live.definition, event, profile, now)
                if wanted:
                    await enter_journey(
                        self.client,
                        self.task_queue,
                        journey_id=inp.journey_id,
                        version=live.version,
                        name=live.name,
                        event=event,
                    )
                outcome[index] = wanted
                advance()

        async with asyncio.TaskGroup() as group:
            for index, profile_id in enumerate(ids):
                group.create_task(enter(index, profile_id))
        return FanoutBatchResult(
            stopped=check.stopped is not None,
            reason=check.stopped,
            cursor=progress.cursor,
            signalled=progress.signalled,
            filtered=progress.filtered,
            done=len(ids) < inp.limit,
        )

    async def _profiles(self, defn: JourneyDefinition, ids: list[str]) -> dict[str, Profile] | None:
        """The page's profiles, read in one query, only if the entry `when` reads them."""
        if not ids or not entry_needs_profile(defn):
            return None
        rows = await self.pool.fetch(q("get_profiles"), ids)
        found = {r["profile_id"]: Profile(**dict(r)) for r in rows}
        return {pid: found.get(pid, Profile(profile_id=pid)) for pid in ids}

    @activity.defn(name="audience_fanout_finish")
    async def finish(self, inp: FanoutFinishInput) -> None:
        """Record the figures and drop the snapshot (the run's entries are in the ledger)."""
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(
                q("fanout_finish"), inp.run_key, inp.status, inp.signalled, inp.filtered
            )
            await conn.execute(q("fanout_drop_snapshot"), inp.run_key)
