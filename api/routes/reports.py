"""Live journey reports and a profile's path: the step ledger, the message and assignment
ledgers, and Temporal visibility for who waits where."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Path, Query
from pydantic import AwareDatetime

from api.deps import PoolDep, Reader, VersionQuery
from api.errors import ApiError, field, invalid, not_found
from api.schemas.common import ERRORS, JourneyIdPath, ProfileIdPath
from api.schemas.reports import (
    CheckPublic,
    JourneyOverview,
    JourneyReport,
    JourneysOverview,
    MessageCounts,
    NodeReport,
    NodeSeries,
    PathCounts,
    PathMessage,
    PathStepPublic,
    ProfilePath,
    RunPath,
    SeriesBucket,
    send_time_groups,
)
from api.windows import MAX_WINDOW, SinceQuery, UntilQuery, buckets, check_window
from core.names import step_id
from db.sql import q
from journeys.durations import duration_upper_bound
from journeys.model import JourneyDefinition
from journeys.nodes.experiment import ExperimentNode
from journeys.nodes.message import MessageNode
from journeys.nodes.split import SplitNode

router = APIRouter(tags=["reports"], responses=ERRORS)

COUNTS = ("entered", "profiles", "waiting", "exited", "exit_criteria", "errored", "timed_out")


def window_seconds(window: str) -> float:
    """The overview's window in seconds; a 422 naming `window` when it is not a duration
    between one second and a year."""
    try:
        length = duration_upper_bound(window)
    except (ValueError, OverflowError) as exc:
        raise invalid([field("window", str(exc))]) from None
    if not timedelta(seconds=1) <= length <= MAX_WINDOW:
        raise invalid([field("window", "must be between PT1S and P366D")])
    return length.total_seconds()


@router.get("/reports/journeys")
async def journeys_overview(
    pool: PoolDep,
    _: Reader,
    window: Annotated[
        str, Query(max_length=40, description="ISO 8601 duration back from now", examples=["P7D"])
    ] = "PT24H",
) -> JourneysOverview:
    """Every journey with its status, live version, profiles inside now, entries, exits and
    error rate over the window, and open alerts: the console's journeys list."""
    rows = await pool.fetch(q("journeys_overview"), window_seconds(window))
    items = [
        JourneyOverview(
            **dict(r), error_rate=round(r["errored"] / r["exits"], 4) if r["exits"] else None
        )
        for r in rows
    ]
    return JourneysOverview(window=window, items=items, count=len(items))


@router.get("/journeys/{journey_id}/report")
async def journey_report(
    journey_id: JourneyIdPath,
    pool: PoolDep,
    _: Reader,
    version: VersionQuery = None,
    goal: Annotated[
        str | None,
        Query(min_length=1, max_length=200, description="Event name counted as the goal"),
    ] = None,
    since: SinceQuery = None,
    until: UntilQuery = None,
) -> JourneyReport:
    """Per node: visits entered in the window and how they ended, who waits there now,
    message outcomes, and profiles per split path or experiment variant with their goal
    rate."""
    check_window(since, until, datetime.now(UTC))
    version, definition = await _version(pool, journey_id, version)
    window = (since, until)
    steps, messages, entries = await asyncio.gather(
        pool.fetch(q("report_steps"), journey_id, version, *window),
        pool.fetch(q("report_messages"), journey_id, version, *window),
        pool.fetch(q("report_entries"), journey_id, version, *window),
    )
    splits = [n for n, node in definition.nodes.items() if isinstance(node, SplitNode)]
    paths = await pool.fetch(q("report_split_paths"), journey_id, version, splits, goal, *window)
    variants = await pool.fetch(q("report_experiment_variants"), journey_id, version, goal, *window)
    timed = await pool.fetch(q("report_send_time"), journey_id, version)
    by_node = {r["node_id"]: r for r in steps}
    nodes = []
    for node_id, node in definition.nodes.items():
        row = by_node.get(node_id)
        counts = {k: row[k] for k in COUNTS} if row else {}
        report = NodeReport(node=node_id, type=node.type, **counts)
        if node.type == "message":
            report.messages = _messages([m for m in messages if m["node_id"] == node_id])
        if isinstance(node, MessageNode) and node.send_time is not None:
            report.send_time = send_time_groups([dict(t) for t in timed if t["node_id"] == node_id])
        if isinstance(node, SplitNode):
            report.paths = _paths([p.name for p in node.paths], node_id, paths)
        if isinstance(node, ExperimentNode):
            names = [v.name for v in node.variants] + (["holdout"] if node.holdout else [])
            report.paths = _paths(names, node_id, variants)
        nodes.append(report)
    return JourneyReport(
        journey_id=journey_id,
        version=version,
        goal=goal,
        since=since,
        until=until,
        entries={r["status"]: r["n"] for r in entries},
        nodes=nodes,
        generated_at=datetime.now(UTC),
    )


NodeIdPath = Annotated[str, Path(min_length=1, max_length=200, description="Node id")]
SERIES_DAY = timedelta(days=1)


@router.get("/journeys/{journey_id}/nodes/{node_id}/series")
async def node_series(
    journey_id: JourneyIdPath,
    node_id: NodeIdPath,
    pool: PoolDep,
    _: Reader,
    version: VersionQuery = None,
    since: Annotated[
        AwareDatetime | None,
        Query(description="The first bucket's start; default: a day before until"),
    ] = None,
    until: Annotated[
        AwareDatetime | None, Query(description="The window's end; default: now")
    ] = None,
    bucket: Annotated[
        str, Query(max_length=40, description="Bucket size, at most 500 buckets", examples=["PT1H"])
    ] = "PT1H",
) -> NodeSeries:
    """One node's counts over time, bucket by bucket from `since`: visits entered, left to the
    next node and errored, and for a message node its sends by outcome."""
    until = until or datetime.now(UTC)
    since = since or until - SERIES_DAY
    check_window(since, until, until)
    cut = buckets(since, until, bucket)
    version, definition = await _version(pool, journey_id, version)
    node = definition.nodes.get(node_id)
    if node is None:
        raise not_found(f"node {node_id!r} of version {version} of journey {journey_id!r}")
    rows = await pool.fetch(
        q("node_series"),
        journey_id,
        version,
        node_id,
        since,
        until,
        cut.size.total_seconds(),
        cut.count,
    )
    sends = node.type == "message"
    return NodeSeries(
        journey_id=journey_id,
        version=version,
        node=node_id,
        type=node.type,
        since=since,
        until=until,
        bucket=bucket,
        buckets=[_bucket(r, sends) for r in rows],
    )


def _bucket(row: asyncpg.Record, sends: bool) -> SeriesBucket:
    """A bucket's counts; the send counts only at a message node."""
    counts = dict(row)
    if not sends:
        for key in ("sent", "failed", "skipped"):
            counts[key] = None
    return SeriesBucket(**counts)


async def _version(
    pool: asyncpg.Pool, journey_id: str, version: int | None
) -> tuple[int, JourneyDefinition]:
    journey = await pool.fetchrow(q("live_journey"), journey_id)
    if journey is None:
        raise not_found(f"journey {journey_id!r}")
    version = version or journey["live_version"]
    if version is None:
        raise ApiError(409, f"journey {journey_id!r} was never published")
    data = await pool.fetchval(q("journey_version_definition"), journey_id, version)
    if data is None:
        raise ApiError(
            404,
            f"version {version} of journey {journey_id!r} not found",
            fields=[field("version", f"journey {journey_id!r} has no version {version}")],
        )
    return version, JourneyDefinition.model_validate(data)


def _messages(rows: list[asyncpg.Record]) -> MessageCounts:
    counts = MessageCounts()
    for row in rows:
        status, n = row["status"], row["n"]
        if status == "skipped":
            counts.skipped += n
            reason = row["reason"] or "unknown"
            counts.skipped_by_reason[reason] = counts.skipped_by_reason.get(reason, 0) + n
        elif status in ("sent", "failed", "deferred", "sending", "dry_run"):
            setattr(counts, status, getattr(counts, status) + n)
        elif status == "pending":
            counts.sending += n
    return counts


def _paths(names: list[str], node_id: str, rows: list[asyncpg.Record]) -> list[PathCounts]:
    found = {r["path"]: r for r in rows if r["node_id"] == node_id}
    out = []
    for name in names:
        row: Any = found.get(name)
        profiles = row["profiles"] if row else 0
        converted = row["converted"] if row else 0
        out.append(
            PathCounts(
                path=name,
                profiles=profiles,
                converted=converted,
                goal_rate=round(converted / profiles, 4) if profiles else None,
            )
        )
    return out


@router.get("/profiles/{profile_id}/journeys/{journey_id}")
async def profile_path(
    profile_id: ProfileIdPath,
    journey_id: JourneyIdPath,
    pool: PoolDep,
    _: Reader,
    limit: Annotated[int, Query(ge=1, le=100, description="Runs, newest first")] = 10,
) -> ProfilePath:
    """The path a profile took through a journey, run by run: each node with its times, the
    way it left and why (expressions and their values), and the message sent there."""
    runs = await pool.fetch(q("profile_runs"), profile_id, journey_id, limit)
    if not runs:
        raise not_found(f"journey {journey_id!r} of profile {profile_id!r}")
    steps = await pool.fetch(q("profile_steps"), [r["run_id"] for r in runs])
    workflow = {r["run_id"]: r["workflow_id"] for r in runs}
    ids = {
        (s["run_id"], s["node_id"], s["visit"]): step_id(
            workflow[s["run_id"]], s["run_id"], s["node_id"], s["visit"]
        )
        for s in steps
        if s["node_type"] == "message"
    }
    rows = await pool.fetch(q("messages_by_id"), list(ids.values()))
    messages = {
        r["message_id"]: PathMessage(**{k: v for k, v in r.items() if k != "node_id"}) for r in rows
    }
    by_run: dict[str, list[PathStepPublic]] = {r["run_id"]: [] for r in runs}
    for s in steps:
        message_id = ids.get((s["run_id"], s["node_id"], s["visit"]))
        by_run[s["run_id"]].append(
            PathStepPublic(
                **{
                    **dict(s),
                    "node": s["node_id"],
                    "type": s["node_type"],
                    "checks": [CheckPublic(**c) for c in s["checks"] or []],
                    "message": messages.get(message_id) if message_id else None,
                }
            )
        )
    return ProfilePath(
        profile_id=profile_id,
        journey_id=journey_id,
        runs=[RunPath(**dict(r), steps=by_run[r["run_id"]]) for r in runs],
    )
