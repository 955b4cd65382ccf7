"""Backtest a journey: its definition replayed against the events stored in a window.

The pure replay is `journeys/backtest.py`; this module feeds it. Events are streamed from
PostgreSQL in profile order with a cursor, so memory holds a few chunks of profiles at a time,
whatever the window's size; each chunk's profiles, consent and suppressions are read in one
query each and the chunks are replayed on every core (services/replay_pool.py), off the
event loop, so the API keeps serving meanwhile.

Approximations (documented in the README's "Backtest"): profiles are today's, not as they
were at each event; frequency caps count only the replay's own sends; entry caps
(`per_day`, `max_inside`) are not applied (they depend on every other profile's timing; the
answer's `entries_per_day` shows what they would limit); a jump to another journey
succeeds without replaying that journey; calls answer what the caller canned; a message
node with `per` sends to the profile's records as stored today, matched at the window's end.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from core.contracts import UpdateProfileInput
from db.sql import q
from db.types import Executor
from journeys.backtest import (
    Backtest,
    Cap,
    Comparison,
    Consent,
    ProfileHistory,
    Tally,
    TemplateFacts,
    compare_all,
    definition_changes,
    differences,
    replay_all,
    selection_key,
    summary,
)
from journeys.durations import add_duration
from journeys.interpreter import (
    ActionDone,
    AssignmentRecorded,
    CallAction,
    FetchData,
    Input,
    JourneyState,
    Jumped,
    JumpToJourney,
    ProfileUpdated,
    RecordAssignment,
    UpdateProfile,
)
from journeys.model import AUDIENCE_EXITED, Event, JourneyDefinition, Profile
from journeys.nodes.message import MessageNode
from journeys.per_entity import PerEntity
from journeys.routing import listened_events
from journeys.runtime import EntityRecord
from services.entity_selection import select_records
from services.errors import FieldProblem, Invalid, NotFound, found
from services.journeys import parsed
from services.profile_updates import apply_update
from services.replay_pool import map_chunks

CHUNK_PROFILES = 500  # profiles replayed per process hand-off
CURSOR_PREFETCH = 5_000
MAX_WINDOW = timedelta(days=400)
SAMPLE_SIZE = 20  # profiles whose path differs, shown with both paths


EventRow = tuple[str, str, str, datetime, dict[str, Any]]
"""An event as the query read it: (event id, name, profile id, time, properties)."""


@dataclass(frozen=True)
class PackedHistory:
    """A profile history as it crosses to a replay process: plain rows, not models.

    Pickling thousands of pydantic `Event`s per chunk (and validating them) took a quarter
    of the parent's time, and the parent's core is one the replays need; a worker builds
    the models itself (`unpacked`), one profile at a time."""

    profile: dict[str, Any]  # the `profiles` row
    events: list[EventRow]
    consent: Consent = field(default_factory=Consent)
    records: Mapping[str, Sequence[EntityRecord]] = field(default_factory=dict)

    def unpacked(self) -> ProfileHistory:
        events = [
            Event(event_id=i, name=n, profile_id=p, timestamp=ts, properties=props)
            for i, n, p, ts, props in self.events
        ]
        return ProfileHistory(Profile(**self.profile), events, self.consent, self.records)


@dataclass(frozen=True)
class Candidate:
    """The definition a backtest replays, and which one it is."""

    definition: JourneyDefinition
    version: int  # the published version, or 0 for a draft or an inline definition
    source: str  # "live", "version N", "draft" or "inline"


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime


@dataclass(frozen=True)
class BacktestResult:
    candidate: Candidate
    window: Window
    summary: dict[str, Any]
    changes: dict[str, Any] | None = None  # beside the live version, when asked


@dataclass(frozen=True)
class CannedAnswers:
    """How the backtest answers the journey's calls, since it performs none."""

    responses: Mapping[str, dict[str, Any]] = field(default_factory=dict)
    failing: frozenset[str] = frozenset()

    def __call__(self, command: Any, state: JourneyState) -> Input | None:
        if isinstance(command, CallAction | FetchData):
            return self._call(command)
        if isinstance(command, UpdateProfile):
            return _updated(command, state)
        if isinstance(command, RecordAssignment):
            return AssignmentRecorded(node=command.node)
        if isinstance(command, JumpToJourney):
            return Jumped(node=command.node, ok=True)
        return None

    def _call(self, command: CallAction | FetchData) -> Input | None:
        name = command.action if isinstance(command, CallAction) else command.source
        if name in self.failing:
            return ActionDone(node=command.node, ok=False, error="failed (as asked)")
        if name in self.responses:
            return ActionDone(node=command.node, ok=True, response=dict(self.responses[name]))
        return None  # unknown: the run stops there


def _updated(command: UpdateProfile, state: JourneyState) -> ProfileUpdated:
    inp = UpdateProfileInput(
        update_id="backtest",
        profile_id=state.profile_id,
        set=command.set,
        increment=dict(command.increment),
    )
    attributes = apply_update(state.profile.attributes, inp)
    return ProfileUpdated(
        node=command.node, profile=state.profile.model_copy(update={"attributes": attributes})
    )


async def backtest(
    pool: asyncpg.Pool,
    definition: JourneyDefinition,
    *,
    version: int,
    start: datetime,
    end: datetime,
    answers: CannedAnswers,
) -> Tally:
    """The predicted tally of `definition` over the events stored in [start, end)."""
    bt = await _setup(pool, definition, version, end, answers)
    total = Tally()
    chunks = _histories(pool, _names(definition), start, end, _pers([definition]))
    async for part in map_chunks(_replayed, chunks, bt):
        total.add(part)
    return total


def _replayed(bt: Backtest, chunk: list[PackedHistory]) -> Tally:
    """One chunk's tally, in a replay process: only the counters travel back."""
    return replay_all(bt, (h.unpacked() for h in chunk))


async def compare(
    pool: asyncpg.Pool, live: Candidate, chosen: Candidate, span: Window, answers: CannedAnswers
) -> Comparison:
    """The live version and the candidate through the same profiles' events."""
    before = await _setup(pool, live.definition, live.version, span.end, answers)
    after = replace(before, definition=chosen.definition, version=chosen.version)
    names = sorted({*_names(live.definition), *_names(chosen.definition)})
    total = Comparison()
    pers = _pers([live.definition, chosen.definition])
    chunks = _histories(pool, names, span.start, span.end, pers)
    async for part in map_chunks(_compared, chunks, before, after):
        total.add(part, SAMPLE_SIZE)
    return total


def _compared(before: Backtest, after: Backtest, chunk: list[PackedHistory]) -> Comparison:
    return compare_all(before, after, (h.unpacked() for h in chunk), SAMPLE_SIZE)


async def _setup(
    pool: asyncpg.Pool,
    definition: JourneyDefinition,
    version: int,
    end: datetime,
    answers: CannedAnswers,
) -> Backtest:
    return Backtest(
        definition=definition,
        version=version,
        end=end,
        answer=answers,
        templates=await _templates(pool),
        caps=await _caps(pool),
    )


def _names(definition: JourneyDefinition) -> list[str]:
    """The events that can matter: the entry event and those a running instance hears."""
    names = {definition.entry.event_name, *listened_events(definition)}
    if definition.exit_on_audience:
        names.add(AUDIENCE_EXITED)
    return sorted(names)


async def run_backtest(
    pool: asyncpg.Pool,
    journey_id: str,
    *,
    source: DefinitionChoice,
    window: WindowChoice,
    answers: CannedAnswers,
    against_live: bool = False,
) -> BacktestResult:
    """Which definition, over which window, then the replay (beside the live version's when
    `against_live`): the API's one operation."""
    chosen = await candidate(pool, journey_id, source)
    span = resolve_window(window, datetime.now(UTC))
    if not against_live:
        tally = await backtest(
            pool,
            chosen.definition,
            version=chosen.version,
            start=span.start,
            end=span.end,
            answers=answers,
        )
        return BacktestResult(chosen, span, summary(tally, chosen.definition))
    live = await candidate(pool, journey_id, DefinitionChoice(use="live"))
    both = await compare(pool, live, chosen, span, answers)
    result = summary(both.candidate, chosen.definition)
    return BacktestResult(chosen, span, result, _changes(live, chosen, both))


def _changes(live: Candidate, chosen: Candidate, both: Comparison) -> dict[str, Any]:
    before = summary(both.live, live.definition)
    after = summary(both.candidate, chosen.definition)
    return {
        "live_version": live.version,
        "nodes": definition_changes(live.definition, chosen.definition),
        "live": before,
        "difference": differences(before, after),
        "profiles_differing": both.differing,
        "sample": both.sample,
    }


@dataclass(frozen=True)
class DefinitionChoice:
    """At most one of: an inline definition, a published version, or `use`."""

    definition: dict[str, Any] | None = None
    version: int | None = None
    use: str | None = None  # "draft" or "live"; neither given: live, else the draft


@dataclass(frozen=True)
class WindowChoice:
    since: str = "P30D"
    start: datetime | None = None
    end: datetime | None = None


def resolve_window(choice: WindowChoice, now: datetime) -> Window:
    """[end - since, end) unless `start` is given; `end` defaults to now."""
    end = choice.end or now
    start = choice.start or _minus(end, choice.since)
    if start >= end:
        raise Invalid([FieldProblem("start", "must be before end")], "the window is empty")
    if end - start > MAX_WINDOW:
        problem = FieldProblem("since", f"the window may span at most {MAX_WINDOW.days} days")
        raise Invalid([problem], "the window is too long")
    return Window(start, end)


def _minus(end: datetime, since: str) -> datetime:
    """`end` minus an ISO 8601 duration (months and years as the calendar has them)."""
    later = add_duration(end, since)
    return end - (later - end)


async def candidate(pool: asyncpg.Pool, journey_id: str, choice: DefinitionChoice) -> Candidate:
    if choice.definition is not None:
        return await _parsed(choice.definition, 0, "inline", "definition.", journey_id)
    row = await pool.fetchrow(q("read_journey"), journey_id)
    journey = found(row, f"journey {journey_id!r}")
    if choice.version is not None:
        data = await pool.fetchval(q("journey_version_definition"), journey_id, choice.version)
        if data is None:
            raise NotFound(f"version {choice.version} of journey {journey_id!r}")
        return await _parsed(data, choice.version, f"version {choice.version}", "", journey_id)
    live = journey["live_version"]
    if choice.use != "draft" and live is not None:
        data = await pool.fetchval(q("journey_version_definition"), journey_id, live)
        return await _parsed(data, live, "live", "", journey_id)
    if choice.use == "live":
        raise Invalid([FieldProblem("use", "the journey was never published")], "no live version")
    return await _parsed(journey["draft"] or {}, 0, "draft", "", journey_id)


async def _parsed(
    data: dict[str, Any], version: int, source: str, prefix: str, journey_id: str
) -> Candidate:
    definition, problems = await parsed(data)
    if definition is None:
        fields = [FieldProblem(prefix + p.path, p.message) for p in problems]
        raise Invalid(fields, "the journey cannot be backtested")
    if definition.id != journey_id:
        problem = FieldProblem(prefix + "id", f"is {definition.id!r}, not {journey_id!r}")
        raise Invalid([problem], "the definition is of another journey")
    return Candidate(definition, version, source)


async def _templates(pool: asyncpg.Pool) -> dict[str, TemplateFacts]:
    rows = await pool.fetch(q("backtest_templates"))
    return {r["name"]: TemplateFacts(r["channel"], r["topic"], r["transactional"]) for r in rows}


async def _caps(pool: asyncpg.Pool) -> dict[str, Cap]:
    rows = await pool.fetch(q("backtest_caps"))
    return {r["channel"]: Cap(r["max_messages"], r["period"]) for r in rows}


def _pers(definitions: Sequence[JourneyDefinition]) -> list[PerEntity]:
    """The distinct `per` selections of the definitions' message nodes."""
    found = {
        selection_key(n.per): n.per
        for d in definitions
        for n in d.nodes.values()
        if isinstance(n, MessageNode) and n.per is not None
    }
    return list(found.values())


async def _histories(
    pool: asyncpg.Pool,
    names: list[str],
    start: datetime,
    end: datetime,
    pers: Sequence[PerEntity] = (),
) -> AsyncIterator[list[PackedHistory]]:
    """Chunks of profile histories, each profile's events in time order."""
    async with pool.acquire() as conn, conn.transaction():
        rows = conn.cursor(q("backtest_events"), start, end, names, prefetch=CURSOR_PREFETCH)
        chunk: dict[str, list[EventRow]] = {}
        async for profile_id, events in _grouped(rows):
            chunk[profile_id] = events
            if len(chunk) >= CHUNK_PROFILES:
                yield await _with_records(pool, await _with_profiles(conn, chunk), pers, end)
                chunk = {}
        if chunk:
            yield await _with_records(pool, await _with_profiles(conn, chunk), pers, end)


async def _with_records(
    pool: asyncpg.Pool, chunk: list[PackedHistory], pers: Sequence[PerEntity], end: datetime
) -> list[PackedHistory]:
    """Each profile's records for each `per`, one query per `per` and chunk, each in a short
    transaction of its own (the entity-types lock is not held for the whole backtest); a
    `per` that no longer fits the entity types reads none."""
    if not pers:
        return chunk
    ids = [h.profile["profile_id"] for h in chunk]
    records: list[dict[str, list[EntityRecord]]] = [{} for _ in chunk]
    for per in pers:
        try:
            async with pool.acquire() as conn, conn.transaction():
                found = await select_records(conn, per, ids, end)
        except Invalid:
            continue
        for r in found:
            mine = records[r.member].setdefault(selection_key(per), [])
            mine.append(EntityRecord(type=per.entity, key=r.key, scope=r.scope))
    return [replace(h, records=rs) for h, rs in zip(chunk, records, strict=True)]


async def _grouped(rows: Any) -> AsyncIterator[tuple[str, list[EventRow]]]:
    """(profile id, its event rows) from rows ordered by profile id."""
    current: str | None = None
    events: list[EventRow] = []
    async for r in rows:
        profile_id = r["profile_id"]
        if profile_id != current and events:
            yield events[0][2], events
            events = []
        current = profile_id
        events.append((r["event_id"], r["name"], profile_id, r["ts"], r["properties"]))
    if events:
        yield events[0][2], events


async def _with_profiles(
    conn: Executor, chunk: Mapping[str, list[EventRow]]
) -> list[PackedHistory]:
    ids = list(chunk)
    rows = await conn.fetch(q("backtest_profiles"), ids)
    profiles = {r["profile_id"]: dict(r) for r in rows}
    consent = _consent(
        await conn.fetch(q("backtest_unsubscribed"), ids),
        await conn.fetch(q("backtest_suppressed"), ids),
    )
    return [
        PackedHistory(
            profile=profiles.get(pid) or {"profile_id": pid},
            events=events,
            consent=consent.get(pid, Consent()),
        )
        for pid, events in chunk.items()
    ]


def _consent(
    unsubscribed: Sequence[asyncpg.Record], suppressed: Sequence[asyncpg.Record]
) -> dict[str, Consent]:
    opted: dict[str, set[tuple[str, str | None]]] = {}
    for r in unsubscribed:
        opted.setdefault(r["profile_id"], set()).add((r["channel"], r["topic"]))
    blocked: dict[str, dict[str, str]] = {}
    for r in suppressed:
        blocked.setdefault(r["profile_id"], {})[r["channel"]] = r["reason"]
    return {
        pid: Consent(frozenset(opted.get(pid, ())), blocked.get(pid, {}))
        for pid in opted.keys() | blocked.keys()
    }
