"""Audience membership events as journeys read them, decided without I/O.

The audience code writes `audience.entered` / `audience.exited` events with
`properties.audience_id` into the ordinary outbox; these helpers say which journey
entry such an event matches and which running journeys it makes leave.
"""

from __future__ import annotations

from journeys.model import AUDIENCE_ENTERED, AUDIENCE_EXITED, AUDIENCE_RUN, Event, JourneyDefinition

AUDIENCE_EVENTS = frozenset({AUDIENCE_ENTERED, AUDIENCE_EXITED, AUDIENCE_RUN})


def audience_of(event: Event) -> str | None:
    """The audience an audience event is about; None for any other event."""
    if event.name not in AUDIENCE_EVENTS:
        return None
    audience = event.properties.get("audience_id")
    return audience if isinstance(audience, str) else None


def entry_audience_matches(definition: JourneyDefinition, event: Event) -> bool:
    """For an audience entry, whether `event` is about that audience (True for event entries)."""
    audience = definition.entry.audience
    return audience is None or audience_of(event) == audience.id


def exit_reason(definition: JourneyDefinition, event: Event) -> str | None:
    """Why `event` ends the journey wherever it is (`exit_on`, `exit_on_audience`), or None."""
    if event.name in definition.exit_on:
        return f"exit_on event {event.name}"
    if event.name == AUDIENCE_EXITED and definition.exit_on_audience:
        audience = audience_of(event)
        if audience is not None and audience in definition.exit_on_audience:
            return f"left audience {audience}"
    return None
