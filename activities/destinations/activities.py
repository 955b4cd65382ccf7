"""The destination activities, scheduled on each destination's own task queue (decision 5)
except the two cheap ledger writes that open and close a run.

A retryable failure is raised for Temporal to retry with the destination's backoff; a
final one (an endpoint's 4xx, a refused address) is recorded in the ledger and answered,
so a run ends with its error instead of failing its workflow.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import asyncpg
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.destinations import ads, files, stream
from activities.destinations.delivery import Blocked, Refused, Retryable, post_batch
from activities.destinations.sinks import SinkError
from activities.heartbeat import Heartbeat
from activities.http_guard import BlockedDestination, GuardedClient
from core.destination_contracts import (
    BatchInput,
    BatchResult,
    DestinationRoute,
    RunInput,
    RunResult,
    StreamInput,
    StreamResult,
)
from core.destinations import DestinationSpec, route_of
from db.sql import q

POLL_SECONDS = 1.0


class DestinationActivities:
    def __init__(
        self,
        pool: asyncpg.Pool,
        http: GuardedClient,
        base_queue: str,
        export_dir: Path | None,
        allowed_hosts: frozenset[str],
    ) -> None:
        self.pool = pool
        self.http = http  # guarded: every connection passes the SSRF check
        self.base_queue = base_queue
        self.export_dir = export_dir
        self.allowed_hosts = allowed_hosts

    @activity.defn(name="stream_destination_batch")
    async def stream_batch(self, inp: StreamInput) -> StreamResult:
        """Deliver the next batch, waiting up to `idle_seconds` for one."""
        deadline = time.monotonic() + inp.idle_seconds
        while True:
            batch = await stream.claim(self.pool, inp.destination)
            if batch is False:
                return StreamResult(outcome="gone")
            if isinstance(batch, stream.Batch):
                return await self._deliver(inp.destination, batch)
            if time.monotonic() >= deadline:
                return StreamResult(outcome="idle")
            if activity.in_activity():
                activity.heartbeat()
            await asyncio.sleep(POLL_SECONDS)

    async def _deliver(self, name: str, batch: stream.Batch) -> StreamResult:
        body, rows = await stream.payload(self.pool, name, batch)
        assert batch.spec.http is not None
        try:
            async with Heartbeat():
                size = await post_batch(self.http, batch.spec.http, batch.export_id, body)
        except Refused as exc:
            await stream.refused(self.pool, name, batch, str(exc))
            return StreamResult(outcome="refused", rows=rows)
        except (Retryable, Blocked) as exc:
            await self.pool.execute(q("note_export_error"), batch.export_id, str(exc))
            raise _error(exc) from exc
        await stream.delivered(self.pool, name, batch, rows, size)
        return StreamResult(outcome="delivered", rows=rows)

    @activity.defn(name="begin_destination_run")
    async def begin_run(self, inp: RunInput) -> RunInput:
        """The run's ledger row, and its route (queue, retries) from the spec as it is now."""
        row = await self.pool.fetchrow(q("read_destination"), inp.destination)
        if row is None:
            raise ApplicationError(f"destination {inp.destination!r} not found", non_retryable=True)
        run_id = inp.run_id or activity.info().workflow_id
        await self.pool.execute(q("begin_run"), run_id, inp.destination)
        spec = DestinationSpec.model_validate(row["spec"])
        route: DestinationRoute = route_of(inp.destination, spec, self.base_queue)
        return RunInput(destination=inp.destination, run_id=run_id, route=route, kind=spec.kind)

    @activity.defn(name="export_destination_file")
    async def export_file(self, inp: RunInput) -> RunResult:
        spec = await self._spec(inp.destination)
        try:
            async with Heartbeat():
                out = await files.export_file(
                    self.pool,
                    inp.destination,
                    inp.run_id,
                    spec,
                    self.export_dir,
                    self.allowed_hosts,
                )
        except BlockedDestination as exc:
            return await self.finish(inp, RunResult(status="failed", error=f"refused: {exc}"))
        except (SinkError, OSError) as exc:
            raise ApplicationError(
                f"{type(exc).__name__}: {exc}", type="DestinationRetryable"
            ) from exc
        await self.pool.execute(
            q("finish_export"),
            inp.run_id,
            "succeeded",
            out.rows,
            out.bytes,
            None,
            out.location,
            out.horizon,
            out.since,
        )
        return RunResult(status="succeeded", rows=out.rows, bytes=out.bytes)

    @activity.defn(name="send_destination_ad_batch")
    async def ad_batch(self, inp: BatchInput) -> BatchResult:
        spec = await self._spec(inp.destination)
        body, rows, last = await ads.page(self.pool, spec, inp.after)
        done = rows < spec.batch_size
        if rows == 0:
            return BatchResult(after=last, rows=0, done=True)
        key = f"{inp.run_id}:{inp.seq}"
        await self.pool.execute(q("record_run_batch"), key, inp.destination, inp.run_id, rows)
        assert spec.http is not None
        try:
            async with Heartbeat():
                size = await post_batch(self.http, spec.http, key, body)
        except Refused as exc:
            await self.pool.execute(q("finish_stream_batch"), key, "failed", 0, str(exc))
            return BatchResult(after=last, rows=rows, done=done)
        except (Retryable, Blocked) as exc:
            await self.pool.execute(q("note_export_error"), key, str(exc))
            raise _error(exc) from exc
        await self.pool.execute(q("finish_stream_batch"), key, "succeeded", size, None)
        return BatchResult(after=last, rows=rows, done=done)

    @activity.defn(name="finish_destination_run")
    async def finish_run(self, inp: RunInput, result: RunResult) -> RunResult:
        return await self.finish(inp, result)

    async def finish(self, inp: RunInput, result: RunResult) -> RunResult:
        """Close a run: an advertising run's totals are its batches'."""
        totals = await self.pool.fetchrow(q("run_totals"), inp.run_id)
        assert totals is not None
        rows, size = result.rows, result.bytes
        status, error = result.status, result.error
        if totals["batches"]:
            rows, size = totals["rows"], totals["bytes"]
            if totals["failed"] and error is None:
                status, error = (
                    "failed",
                    f"{totals['failed']} of {totals['batches']} batches refused",
                )
        await self.pool.execute(
            q("finish_export"), inp.run_id, status, rows, size, error, None, None, None
        )
        return RunResult(status=status, rows=rows, bytes=size, error=error)

    async def _spec(self, name: str) -> DestinationSpec:
        row = await self.pool.fetchrow(q("read_destination"), name)
        if row is None:
            raise ApplicationError(f"destination {name!r} not found", non_retryable=True)
        return DestinationSpec.model_validate(row["spec"])


def _error(exc: Exception) -> ApplicationError:
    """Retryable for Temporal's backoff; a blocked call is not retried by Temporal (its
    workflow waits and tries the same batch again later)."""
    blocked = isinstance(exc, Blocked)
    return ApplicationError(
        str(exc),
        type="DestinationBlocked" if blocked else "DestinationRetryable",
        non_retryable=blocked,
    )
