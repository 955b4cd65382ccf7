"""A stream's next batch: audience entered/exited changes after the destination's cursor.

The cursor is (txid, id) of the last change delivered, and a batch only ever reads changes
of transactions that have all ended (below the snapshot's horizon): a change committed
late, by a transaction older than others already read, is therefore still ahead of the
cursor, never behind it. A batch is recorded (its bounds, its id) before it is sent and
stays open until the endpoint accepts it: sent again after a crash or a 500, it carries the
same changes under the same Idempotency-Key. The cursor moves in the transaction that
closes the batch.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg

from activities.destinations.entity_records import EntityRecords
from core.destinations import DestinationSpec, attribute_paths, entity_types
from db.sql import q


@dataclass(frozen=True)
class Batch:
    export_id: str
    spec: DestinationSpec
    lower: tuple[str, int]
    upper: tuple[str, int]


async def claim(pool: asyncpg.Pool, name: str) -> Batch | bool | None:
    """The open batch, else a new one; None when nothing is new; False when the destination
    is gone or no longer a stream."""
    async with pool.acquire() as conn, conn.transaction():
        dest = await conn.fetchrow(q("lock_destination"), name)
        if dest is None or dest["kind"] != "stream_http":
            return False
        spec = DestinationSpec.model_validate(dest["spec"])
        open_ = await conn.fetchrow(q("open_stream_batch"), name)
        if open_ is not None:
            lower, upper = (
                (open_["from_txid"], open_["from_id"]),
                (open_["to_txid"], open_["to_id"]),
            )
            return Batch(open_["export_id"], spec, lower, upper)
        horizon = await conn.fetchval(q("snapshot_horizon"))
        lower = (dest["cursor_txid"], dest["cursor_id"])
        rows = await _changes(conn, spec, lower, (horizon, 0), spec.batch_size)
        if not rows:  # every change below the horizon is read: none will appear there
            await conn.execute(q("advance_cursor"), name, horizon, 0)
            return None
        upper = (rows[-1]["txid"], rows[-1]["id"])
        export_id = str(uuid.uuid4())
        await conn.execute(q("record_stream_batch"), export_id, name, len(rows), *lower, *upper)
        return Batch(export_id, spec, lower, upper)


async def _changes(
    conn: Any,
    spec: DestinationSpec,
    lower: tuple[str, int],
    upper: tuple[str, int],
    limit: int | None,
) -> list[asyncpg.Record]:
    paths = attribute_paths(spec.fields)
    return list(
        await conn.fetch(
            q("stream_changes"), spec.audience, *lower, *upper, spec.purpose, paths, limit
        )
    )


async def payload(pool: asyncpg.Pool, name: str, batch: Batch) -> tuple[dict[str, Any], int]:
    """The body of a batch, read again from its bounds (the same changes on every attempt;
    a profile erased or no longer consenting meanwhile is left out)."""
    async with pool.acquire() as conn:
        changed = await _changes(conn, batch.spec, batch.lower, batch.upper, None)
        records = await EntityRecords.of(conn, entity_types(batch.spec.fields))
        rows = await records.attach(conn, changed)
    fields = batch.spec.fields
    changes = [
        {"change": r["change"], "at": r["at"].isoformat(), "profile": _profile(fields, r)}
        for r in rows
    ]
    body = {"destination": name, "batch_id": batch.export_id, "changes": changes}
    return body, len(rows)


def _profile(fields: list[str], row: Any) -> dict[str, Any]:
    """The change's profile object: entity records parsed from their JSON array text."""
    out: dict[str, Any] = {}
    attrs, ents = iter(row["attrs"]), iter(row.get("ents", ()))
    for f in fields:
        if f.startswith("attributes."):
            out[f] = next(attrs)
        elif f.startswith("entities."):
            out[f] = json.loads(next(ents))
        else:
            out[f] = row[f]
    return out


async def delivered(pool: asyncpg.Pool, name: str, batch: Batch, rows: int, size: int) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(q("set_export_rows"), batch.export_id, rows)
        await conn.execute(q("finish_stream_batch"), batch.export_id, "succeeded", size, None)
        await conn.execute(q("advance_cursor"), name, *batch.upper)


async def refused(pool: asyncpg.Pool, name: str, batch: Batch, error: str) -> None:
    """The endpoint refused the batch for good (a 4xx): recorded as failed, with its
    bounds, and passed so the stream goes on."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(q("finish_stream_batch"), batch.export_id, "failed", 0, error)
        await conn.execute(q("advance_cursor"), name, *batch.upper)
