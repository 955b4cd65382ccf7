"""Routing of stored events to journey workflows (architecture decisions 1 and 8).

The registry is in memory and reloaded on NOTIFY, so routing an event costs no database
round trip to learn which journeys listen to its name.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

import asyncpg
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from core.contracts import EventSignal
from core.metrics import JOURNEY_ENTRIES
from core.names import EVENT_SIGNAL, journey_workflow_id
from db.sql import q
from journeys.audience import audience_of
from journeys.entry_key import KeyMissing
from journeys.model import AUDIENCE_EXITED, Event, JourneyDefinition, Profile
from journeys.routing import (
    entry_key,
    entry_matches,
    entry_needs_profile,
    entry_open,
    exit_audiences,
    instance_keys,
    listened_events,
)
from services.journey_client import RPC_TIMEOUT, enter_journey

log = logging.getLogger("wayline.router")


@dataclass(frozen=True)
class LiveJourney:
    journey_id: str
    version: int
    name: str
    definition: JourneyDefinition
    needs_profile: bool


@dataclass
class Registry:
    """Which live journey versions an event name enters, and which journeys it signals."""

    entries: dict[str, list[LiveJourney]] = field(default_factory=dict)
    listeners: dict[str, set[str]] = field(default_factory=dict)
    loaded_at: datetime | None = None
    fingerprint: str | None = None  # registry_fingerprint as read just before loading
    # audience id → journeys whose running instances leave when a profile exits it
    audience_exits: dict[str, set[str]] = field(default_factory=dict)
    # journey id → the `entry.key` of its versions (None: unkeyed), to find its instances
    keys: dict[str, set[str | None]] = field(default_factory=dict)

    @classmethod
    async def load(cls, pool: asyncpg.Pool) -> Registry:
        # Read first: a publish committed in between makes the registry newer than its
        # fingerprint, which costs one extra reload at worst, never a stale registry.
        fingerprint = await pool.fetchval(q("registry_fingerprint"))
        entries: dict[str, list[LiveJourney]] = defaultdict(list)
        listeners: dict[str, set[str]] = defaultdict(set)
        audience_exits: dict[str, set[str]] = defaultdict(set)
        keys: dict[str, set[str | None]] = defaultdict(set)
        for row in await pool.fetch(q("registry_versions")):
            defn = JourneyDefinition.model_validate(row["definition"])
            keys[row["journey_id"]].add(defn.entry.key)
            for name in listened_events(defn):
                listeners[name].add(row["journey_id"])
            for audience in exit_audiences(defn):
                audience_exits[audience].add(row["journey_id"])
            entry_event = defn.entry.realtime_event  # None: entered by scheduled runs only
            if entry_event and row["status"] == "live" and row["live_version"] == row["version"]:
                entries[entry_event].append(
                    LiveJourney(
                        row["journey_id"],
                        row["version"],
                        row["name"],
                        defn,
                        entry_needs_profile(defn),
                    )
                )
        return cls(
            dict(entries),
            dict(listeners),
            datetime.now(UTC),
            fingerprint,
            dict(audience_exits),
            dict(keys),
        )

    async def current(self, pool: asyncpg.Pool) -> Registry:
        """This registry, or a fresh one if journeys were published or stopped since."""
        if await pool.fetchval(q("registry_fingerprint")) == self.fingerprint:
            return self
        return await Registry.load(pool)

    def listening(self, event: Event) -> set[str]:
        """Journeys whose running instances this event concerns (awaited, exit_on, audience)."""
        found = self.listeners.get(event.name, set())
        audience = audience_of(event) if event.name == AUDIENCE_EXITED else None
        if audience is not None and audience in self.audience_exits:
            found = found | self.audience_exits[audience]
        return found

    def instances(self, journey_id: str, event: Event) -> set[str]:
        """Workflow ids of the journey's instances this event concerns: the profile's one, or
        for a keyed journey the one of the key the event carries (none without it)."""
        sources = self.keys.get(journey_id, {None})
        return {
            journey_workflow_id(journey_id, event.profile_id, key)
            for key in instance_keys(sources, event)
        }

    def needs_profiles(self, names: set[str]) -> bool:
        return any(j.needs_profile for n in names for j in self.entries.get(n, ()))


class Router:
    def __init__(self, client: Client, task_queue: str) -> None:
        self.client = client
        self.task_queue = task_queue
        self.registry = Registry()

    async def route(self, event: Event, profile: Profile | None) -> None:
        """Deliver one event; raises if Temporal could not be reached (it will be retried)."""
        now = datetime.now(UTC)
        entered: set[str] = set()
        for journey in self.registry.entries.get(event.name, ()):
            if entry_open(journey.definition, now) and entry_matches(
                journey.definition, event, profile, now
            ):
                entered |= await self._signal_with_start(journey, event)
        for journey_id in self.registry.listening(event):
            for workflow_id in self.registry.instances(journey_id, event) - entered:
                await self._signal(workflow_id, event)

    async def _signal_with_start(self, journey: LiveJourney, event: Event) -> set[str]:
        """The workflow id entered (or signalled, if inside), or none: a keyed journey's
        entry event without a usable key enters no instance, counted as `no_key`."""
        try:
            key = entry_key(journey.definition, event)
        except KeyMissing as exc:
            JOURNEY_ENTRIES.labels(journey.journey_id, "no_key").inc()
            log.info("event %s enters no %s: %s", event.event_id, journey.journey_id, exc.message)
            return set()
        await enter_journey(
            self.client,
            self.task_queue,
            journey_id=journey.journey_id,
            version=journey.version,
            name=journey.name,
            event=event,
            key=key,
        )
        return {journey_workflow_id(journey.journey_id, event.profile_id, key)}

    async def _signal(self, workflow_id: str, event: Event) -> None:
        handle = self.client.get_workflow_handle(workflow_id)
        try:
            await handle.signal(EVENT_SIGNAL, EventSignal(event=event), rpc_timeout=RPC_TIMEOUT)
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
