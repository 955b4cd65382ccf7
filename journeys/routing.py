"""What the event router needs to know about a definition, decided without I/O.

The router sees every stored event once and must answer cheaply: does it enter this
journey (`entry_matches`), does it matter to profiles already inside
(`listened_events`), is the profile worth loading first (`entry_needs_profile`), and
is the journey open for entries right now (`entry_open`), and which instance of a keyed
journey an event enters or concerns (`entry_key`, `instance_keys`; decision 13).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from journeys.audience import entry_audience_matches
from journeys.durations import add_duration
from journeys.entry_key import KeyMissing, event_key
from journeys.expressions import (
    ExpressionError,
    aware,
    build_context,
    compile_expression,
    referenced_names,
)
from journeys.model import Event, JourneyDefinition, Profile
from journeys.nodes.wait_for_event import WaitForEventNode


def listened_events(definition: JourneyDefinition) -> set[str]:
    """Names of events a running instance reacts to: awaited events and exit events.

    A `reaction` awaits `message.<kind>` (opened, clicked, delivered, failed). Exits by
    audience (`exit_on_audience`) are routed by audience id instead (`exit_audiences`).
    """
    awaited = {n.awaited for n in definition.nodes.values() if isinstance(n, WaitForEventNode)}
    return awaited | set(definition.exit_on)


def exit_audiences(definition: JourneyDefinition) -> set[str]:
    """Audiences whose audience.exited event ends a running instance."""
    return set(definition.exit_on_audience)


def entry_needs_profile(definition: JourneyDefinition) -> bool:
    """True if the entry `when` mentions `profile` (so the router must load it first)."""
    when = definition.entry.when
    if when is None:
        return False
    try:
        return "profile" in referenced_names(when)
    except ExpressionError:
        return False  # a broken filter matches nothing anyway


def entry_open(definition: JourneyDefinition, now: datetime) -> bool:
    """Whether the `entry_window` accepts entries at `now` (start included, end excluded).

    Only the window: the `entry_cap` counts live in the database and are enforced there.
    """
    window = definition.entry_window
    if window is None:
        return True
    now = aware(now)
    if window.start is not None and now < window.start:
        return False
    return window.end is None or now < window.end


def entry_matches(
    definition: JourneyDefinition, event: Event, profile: Profile | None, now: datetime
) -> bool:
    """Whether `event` enters the journey: its name (and audience), then the entry `when`.

    A `when` that fails at runtime (e.g. a missing property) means no match. No profile
    (not loaded because not needed, or not stored yet) reads as an empty profile.
    """
    if event.name != definition.entry.event_name:
        return False
    if not entry_audience_matches(definition, event):
        return False
    when = definition.entry.when
    if when is None:
        return True
    ctx = build_context(
        profile=profile or Profile(profile_id=event.profile_id),
        event=event,
        events={event.name: event},
        journey={"id": definition.id, "version": None, "name": definition.name},
        vars={},
        now=now,
    )
    try:
        return bool(compile_expression(when).evaluate(ctx))
    except ExpressionError:
        return False


def entry_key(definition: JourneyDefinition, event: Event) -> str | None:
    """The key of the instance `event` enters: None for an unkeyed journey, KeyMissing for
    a keyed one if the event carries no usable key (then it enters nothing)."""
    source = definition.entry.key
    return None if source is None else event_key(source, event)


def instance_keys(key_sources: Iterable[str | None], event: Event) -> set[str | None]:
    """The keys of the running instances of one journey that `event` concerns.

    `key_sources` are the `entry.key` of the journey's versions (None: unkeyed), since
    instances of older versions may still wait. An unkeyed version's instance is the
    profile's one (None); a keyed one's is the key the event carries, evaluated with the
    same expression, and none if the event carries no usable key.
    """
    keys: set[str | None] = set()
    for source in set(key_sources):
        if source is None:
            keys.add(None)
            continue
        try:
            keys.add(event_key(source, event))
        except KeyMissing:
            continue
    return keys


def reentry_refusal(
    defn: JourneyDefinition, previous: Mapping[str, Any] | None, now: datetime
) -> str | None:
    """Why this profile may not enter again, or None; the ledger outlives Temporal retention."""
    if previous is None:
        return None
    mode = defn.reentry.mode
    if mode == "never":
        return "reentry never: the profile entered before"
    if mode == "after" and defn.reentry.wait:
        # One workflow id runs once at a time, so the previous run is closed; a row with no
        # end (an operator terminated it) counts from its entry.
        since = previous["ended_at"] or previous["entered_at"]
        ready = add_duration(since, defn.reentry.wait)
        if now < ready:
            return f"reentry after {defn.reentry.wait}: allowed from {ready.isoformat()}"
    return None
