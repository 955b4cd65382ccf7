"""Test mode's responder: what each side effect of a simulated run would have done.

Messages are rendered from the stored templates, action and fetch requests are rendered
from the stored specs (and answered with the caller's canned responses), profile updates
are applied to the test profile only. A message node with `per` sends to the records
stored today for the test profile's id when a profile with that id is stored, else to none
(the test says which). Nothing is sent and nothing is written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import asyncpg

from content.fragments import Fragment, sources_for
from content.locales import DEFAULT, choose
from core.connectors import ActionSpec, DataSourceSpec
from core.contracts import UpdateProfileInput
from db.sql import q
from journeys.durations import add_duration
from journeys.entry_key import KeyMissing
from journeys.expressions import ExpressionError, build_context, compile_template
from journeys.interpreter import (
    ActionDone,
    AssignmentRecorded,
    CallAction,
    ChooseSendTime,
    Decide,
    FetchData,
    Input,
    JourneyState,
    Jumped,
    JumpToJourney,
    MessageSent,
    ProfileUpdated,
    RecordAssignment,
    RecordsSelected,
    SelectRecords,
    SendMessage,
    SendTimeChosen,
    UpdateProfile,
)
from journeys.model import Event, JourneyDefinition, Profile
from journeys.nodes.decide import undecided
from journeys.nodes.message import MessageNode
from journeys.routing import entry_key, entry_matches, instance_keys
from journeys.runtime import EntityRecord
from journeys.simulate import Simulation, simulate
from services.action_requests import CallFailed, pick, render_request
from services.entity_selection import select_records
from services.errors import FieldProblem, Invalid, found
from services.fragments import fragments_of
from services.journeys import parsed
from services.profile_updates import apply_update


class TestResponder:
    def __init__(
        self,
        *,
        templates: dict[str, dict[str, Any]],
        actions: dict[str, Any],
        sources: dict[str, Any],
        responses: dict[str, dict[str, Any]],
        failing: set[str],
        journey_name: str,
        fragments: Mapping[str, Fragment] | None = None,
        records: Mapping[str, TestRecords] | None = None,
    ) -> None:
        self.templates = templates
        self.records = records or {}
        self.fragments = fragments or {}
        self.actions = actions
        self.sources = sources
        self.responses = responses
        self.failing = failing
        self.journey_name = journey_name

    def __call__(
        self, command: Any, state: JourneyState, now: datetime
    ) -> tuple[Input, dict[str, Any]]:
        if isinstance(command, SendMessage):
            return self._message(command, state, now)
        if isinstance(command, CallAction | FetchData):
            return self._call(command)
        if isinstance(command, UpdateProfile):
            inp = UpdateProfileInput(
                update_id="test",
                profile_id=state.profile_id,
                set=command.set,
                increment=dict(command.increment),
            )
            profile = state.profile.model_copy(
                update={"attributes": apply_update(state.profile.attributes, inp)}
            )
            return (
                ProfileUpdated(node=command.node, profile=profile),
                {"kind": "update_profile", "set": command.set, "increment": command.increment},
            )
        if isinstance(command, RecordAssignment):
            return (
                AssignmentRecorded(node=command.node),
                {"kind": "assignment", "variant": command.variant},
            )
        if isinstance(command, JumpToJourney):
            return Jumped(node=command.node, ok=True), {"kind": "jump", "journey": command.journey}
        if isinstance(command, ChooseSendTime):  # the live run waits for the best hour
            record = {"kind": "send_time", "goal": command.goal, "send_at": now.isoformat()}
            return SendTimeChosen(node=command.node, send_at=now), record
        if isinstance(command, SelectRecords):
            return self._records(command)
        if isinstance(command, Decide):
            response = self.responses.get(command.decision) or undecided(command.decision)
            decided: dict[str, Any] = {"kind": "decide", "decision": command.decision}
            decided["response"] = response
            return ActionDone(node=command.node, ok=True, response=response), decided
        raise ValueError(f"test mode cannot answer {command!r}")

    def _records(self, command: SelectRecords) -> tuple[Input, dict[str, Any]]:
        """The records read before the run for this node (the same at every visit)."""
        found = self.records.get(command.node) or TestRecords(NO_PROFILE)
        record: dict[str, Any] = {"kind": "records", "entity": command.per.entity}
        record.update(keys=[r.key for r in found.records], source=found.source)
        if found.error is not None:
            record["error"] = found.error
        selected = RecordsSelected(
            node=command.node, visit=command.visit, records=found.records, error=found.error
        )
        return selected, record

    def _message(
        self, command: SendMessage, state: JourneyState, now: datetime
    ) -> tuple[Input, dict[str, Any]]:
        record: dict[str, Any] = {
            "kind": "message",
            "channel": command.channel,
            "template": command.template,
        }
        message_id = f"test:{command.node}:{command.visit}"
        if command.entity is not None:
            message_id = f"{message_id}:{command.entity.key}"
            record["entity"] = {"type": command.entity.type, "key": command.entity.key}
        template = self.templates.get(command.template)
        try:
            if template is None:
                raise ExpressionError(f"template {command.template!r} does not exist")
            ctx = build_context(
                profile=state.profile,
                event=state.entry_event,
                events=state.events,
                vars=state.vars,
                now=now,
                journey={
                    "id": state.journey_id,
                    "version": state.version,
                    "name": self.journey_name,
                },
            )
            if command.entity is not None:
                ctx["entity"] = command.entity.scope
            locale = state.profile.locale
            key = choose(template.get("locales") or {}, locale)
            text = template if key is None else template["locales"][key]
            record["locale"] = key or DEFAULT
            subject = text.get("subject")
            record["subject"] = self._render(subject, ctx, locale) if subject else None
            record["body"] = self._render(text["body"], ctx, locale)
        except ExpressionError as exc:
            record["error"] = str(exc)
            return MessageSent(node=command.node, message_id=message_id, status="failed"), record
        return MessageSent(node=command.node, message_id=message_id, status="sent"), record

    def _render(self, source: str, ctx: dict[str, Any], locale: str | None) -> str:
        """A template part with the fragments it includes, as the channels render it."""
        reached = sources_for([source], self.fragments, locale)
        return compile_template(source, False, reached).render(ctx)

    def _call(self, command: CallAction | FetchData) -> tuple[Input, dict[str, Any]]:
        is_action = isinstance(command, CallAction)
        name = command.action if isinstance(command, CallAction) else command.source
        record: dict[str, Any] = {"kind": "action" if is_action else "fetch", "name": name}
        raw = (self.actions if is_action else self.sources).get(name)
        try:
            if raw is None:
                raise CallFailed(f"{record['kind']} {name!r} does not exist")
            spec = (
                ActionSpec.model_validate(raw) if is_action else DataSourceSpec.model_validate(raw)
            )
            method = spec.method if isinstance(spec, ActionSpec) else "GET"
            record["request"] = render_request(spec, method, command.params)
        except CallFailed as exc:
            record["error"] = str(exc)
            return ActionDone(node=command.node, ok=False, error=str(exc)), record
        if name in self.failing:
            record["error"] = "failed (as asked by the test run)"
            return ActionDone(node=command.node, ok=False, error=record["error"]), record
        response = pick(self.responses.get(name, {}), spec.response_fields)
        record["response"] = response
        return ActionDone(node=command.node, ok=True, response=response), record


class LaterEvent(Protocol):
    """An event the test profile sends, `after` (ISO 8601) the entry."""

    @property
    def name(self) -> str: ...
    @property
    def after(self) -> str: ...
    @property
    def properties(self) -> dict[str, Any]: ...


class TestInput(Protocol):
    """What a test run is given besides its profile; the API's `TestRunCreate` is one."""

    @property
    def entry_properties(self) -> dict[str, Any]: ...
    @property
    def events(self) -> Sequence[LaterEvent]: ...
    @property
    def action_responses(self) -> dict[str, dict[str, Any]]: ...
    @property
    def failing_actions(self) -> Sequence[str]: ...
    @property
    def start(self) -> datetime | None: ...


NOT_MATCHED = "the entry filter is false for this profile and event"
STORED = "the stored records of this profile"
NO_PROFILE = "none: no profile with this id is stored"


@dataclass(frozen=True)
class TestRecords:
    """What a per-entity node of a test run sends to, and where that came from."""

    source: str
    records: list[EntityRecord] = field(default_factory=list)
    error: str | None = None


async def records_for_test(
    pool: asyncpg.Pool, definition: JourneyDefinition, profile_id: str, now: datetime
) -> dict[str, TestRecords]:
    """For each message node with `per`: the stored profile's matching records today."""
    nodes = {
        node_id: node.per
        for node_id, node in definition.nodes.items()
        if isinstance(node, MessageNode) and node.per is not None
    }
    if not nodes:
        return {}
    if await pool.fetchrow(q("get_profile"), profile_id) is None:
        return {node_id: TestRecords(NO_PROFILE) for node_id in nodes}
    found: dict[str, TestRecords] = {}
    async with pool.acquire() as conn, conn.transaction():
        for node_id, per in nodes.items():
            try:
                rows = await select_records(conn, per, [profile_id], now)
            except Invalid as exc:
                found[node_id] = TestRecords(STORED, error=exc.message)
                continue
            records = [EntityRecord(type=per.entity, key=r.key, scope=r.scope) for r in rows]
            found[node_id] = TestRecords(STORED, records)
    return found


@dataclass(frozen=True)
class TestRun:
    """A test run from `start`; `simulation` is None when the entry kept it out (`why`)."""

    start: datetime
    profile: Profile
    simulation: Simulation | None
    why: str = NOT_MATCHED


async def definition_to_test(
    pool: asyncpg.Pool, journey_id: str, use: str, inline: dict[str, Any] | None = None
) -> JourneyDefinition:
    """The inline definition when given (the designer's unsaved working copy), else the
    draft, or with `use="live"` the live version when there is one; checked like a draft."""
    if inline is not None:
        return await _checked({"id": journey_id, **inline}, journey_id, "definition.")
    row = found(await pool.fetchrow(q("read_journey"), journey_id), f"journey {journey_id!r}")
    data = row["draft"]
    if use == "live" and row["live_version"] is not None:
        data = await pool.fetchval(q("journey_version_definition"), journey_id, row["live_version"])
    return await _checked(data or {}, journey_id, "")


async def _checked(data: dict[str, Any], journey_id: str, prefix: str) -> JourneyDefinition:
    """The definition, or every problem with its path (`prefix` says where it was given)."""
    definition, problems = await parsed(data)
    if definition is None:
        fields = [FieldProblem(prefix + p.path, p.message) for p in problems]
        raise Invalid(fields, "the journey cannot be tested")
    if definition.id != journey_id:
        problem = FieldProblem(prefix + "id", f"is {definition.id!r}, not {journey_id!r}")
        raise Invalid([problem], "the definition is of another journey")
    return definition


def entry_properties(definition: JourneyDefinition, given: dict[str, Any]) -> dict[str, Any]:
    """An audience entry's event names its audience, as the real one does."""
    audience = definition.entry.audience
    return given if audience is None else {"audience_id": audience.id, **given}


async def run_test(
    pool: asyncpg.Pool, definition: JourneyDefinition, profile: Profile, given: TestInput
) -> TestRun:
    """Simulate the journey for `profile` against the stored templates and connectors."""
    start = given.start or datetime.now(UTC)
    entry = Event(
        event_id="test-entry",
        name=definition.entry.event_name,
        profile_id=profile.profile_id,
        timestamp=start,
        properties=entry_properties(definition, given.entry_properties),
    )
    if not entry_matches(definition, entry, profile, start):
        return TestRun(start, profile, None)
    try:
        key = entry_key(definition, entry)
    except KeyMissing as exc:
        return TestRun(start, profile, None, f"a keyed journey's entry event needs its key: {exc}")
    responder = await _responder(pool, definition, given)
    responder.records = await records_for_test(pool, definition, profile.profile_id, start)
    # As routed: a keyed run receives only the later events that carry its key.
    later = _later_events(profile, start, given.events)
    events = [e for e in later if key in instance_keys([definition.entry.key], e)]
    run = simulate(
        definition, profile=profile, entry_event=entry, events=events, responder=responder
    )
    return TestRun(start, profile, run)


def _later_events(profile: Profile, start: datetime, given: Sequence[LaterEvent]) -> list[Event]:
    return [
        Event(
            event_id=f"test-{i}",
            name=e.name,
            profile_id=profile.profile_id,
            timestamp=add_duration(start, e.after),
            properties=e.properties,
        )
        for i, e in enumerate(given)
    ]


async def _responder(
    pool: asyncpg.Pool, definition: JourneyDefinition, given: TestInput
) -> TestResponder:
    resources: dict[str, dict[str, Any]] = {
        "template": {},
        "fragment": {},
        "action": {},
        "fetch": {},
    }
    for r in await pool.fetch(q("test_resources")):
        resources[r["kind"]][r["name"]] = r["spec"]
    return TestResponder(
        templates=resources["template"],
        actions=resources["action"],
        sources=resources["fetch"],
        responses=given.action_responses,
        failing=set(given.failing_actions),
        journey_name=definition.name,
        fragments=fragments_of({"name": n, **f} for n, f in resources["fragment"].items()),
    )
