"""Segment calls turned into Wayline's own writes.

- `track` → an event named after `event`; `page` / `screen` → an event named `page` /
  `screen` whose properties also carry `name` and `category` when given. Events go through
  the ordinary outbox (`services.events.store`): `messageId` is the `event_id`, so a
  repeated call is acknowledged as a duplicate and routed once.
- `identify` → the profile (`userId`, else `anonymousId`) gets `traits.email` and
  `traits.phone` as its contact fields and every other trait as an attribute (merged; a
  null trait removes the attribute). Email, phone and `push_tokens` traits follow the
  profiles API's address rules: a bad one refuses the call, naming the trait. When both
  ids are given the anonymous profile is merged into the known one first
  (services/identity.py).
- `alias` → `previousId` is merged into `userId`.
- `context.timezone`, when an IANA zone, becomes the profile's time zone (on identify; on
  other calls for profiles that exist). Anything else there is ignored: it is a hint, and
  an event is not refused for it.

Calls apply in order: events are stored in runs between identity calls, so a `track` that
follows an `identify` in one batch lands on the merged profile.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import asyncpg
from pydantic import TypeAdapter, ValidationError
from temporalio.client import Client

from api.errors import FieldError, loc_path
from api.schemas.events import EventCreate
from api.schemas.segment import SegmentCall, SegmentType
from contacts import addresses
from db.sql import q
from journeys.event_time import timestamp_problem
from services.events import store
from services.identity import merge_and_end, resolve

CONTACT_TRAITS = ("email", "phone")


@dataclass
class Parsed:
    """A call that passed every check; `event` is its outbox event for track/page/screen."""

    kind: SegmentType
    call: SegmentCall
    event: EventCreate | None = None


@dataclass
class Outcome:
    accepted: int = 0
    duplicates: int = 0
    event_ids: list[str] = field(default_factory=list)


def field_errors(exc: ValidationError, prefix: str = "") -> list[FieldError]:
    """Pydantic errors as `{"field", "message"}` with the Segment field names."""
    out: list[FieldError] = []
    for err in exc.errors():
        path = loc_path(err.get("loc", ()))
        name = f"{prefix}.{path}" if prefix and path else prefix or path
        message = "field required" if err.get("type") == "missing" else str(err.get("msg"))
        out.append({"field": name, "message": message.removeprefix("Value error, ")})
    return out


def _err(prefix: str, name: str, message: str) -> FieldError:
    return {"field": f"{prefix}.{name}" if prefix else name, "message": message}


def timezone_of(call: SegmentCall) -> str | None:
    """`context.timezone` if it names an IANA zone, else None."""
    tz = (call.context or {}).get("timezone")
    if not isinstance(tz, str) or not tz or len(tz) > 64:
        return None
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return tz


def check(kind: SegmentType, call: SegmentCall, prefix: str = "") -> list[FieldError]:
    """What the Segment spec requires of each type, beyond field shapes."""
    errors: list[FieldError] = []
    if kind == "alias":
        if call.user_id is None:
            errors.append(_err(prefix, "userId", "field required"))
        if call.previous_id is None:
            errors.append(_err(prefix, "previousId", "field required"))
        return errors
    if call.user_id is None and call.anonymous_id is None:
        errors.append(_err(prefix, "userId", "userId or anonymousId is required"))
    if kind == "track" and not (call.event or "").strip():
        errors.append(_err(prefix, "event", "field required"))
    if kind == "identify":
        errors += _normalise_addresses(call, prefix)
    return errors


def _normalise_addresses(call: SegmentCall, prefix: str) -> list[FieldError]:
    """The errors of `traits.email`, `.phone` and `.push_tokens` under the profiles API's
    address rules (contacts/addresses.py); good email and phone traits are replaced by their
    stored form. A bad one refuses the whole identify rather than applying the rest: the
    profile would keep its old address while the caller believes it changed."""
    traits = call.traits or {}
    errors: list[FieldError] = []
    for name, rule in _ADDRESS_RULES.items():
        if traits.get(name) is None:
            continue
        checked = rule(traits[name])
        if isinstance(checked, addresses.Invalid):
            index = "" if checked.index is None else f"[{checked.index}]"
            errors.append(_err(prefix, f"traits.{name}{index}", checked.reason))
        elif name in CONTACT_TRAITS:
            traits[name] = checked
    return errors


_ADDRESS_RULES: dict[str, Callable[[object], str | list[str] | addresses.Invalid]] = {
    "email": addresses.email,
    "phone": addresses.phone,
    "push_tokens": addresses.push_tokens,
}


def to_event(kind: SegmentType, call: SegmentCall, prefix: str = "") -> EventCreate:
    """The outbox event of a track, page or screen call (ValidationError if unfit)."""
    properties = dict(call.properties or {})
    if kind == "track":
        name = (call.event or "").strip()
    else:
        name = kind
        if call.name is not None:
            properties["name"] = call.name
        if call.category is not None:
            properties["category"] = call.category
    profile_id = call.user_id or call.anonymous_id
    return EventCreate(
        event_id=call.message_id,
        name=name,
        profile_id=profile_id or "",
        timestamp=call.timestamp,
        properties=properties,
    )


class Applier:
    """Applies calls in order, storing runs of events in one outbox transaction each."""

    def __init__(self, pool: asyncpg.Pool, temporal: Client) -> None:
        self.pool = pool
        self.temporal = temporal
        self.outcome = Outcome()
        self._events: list[EventCreate] = []
        self._zones: list[tuple[str, str]] = []

    async def add(self, parsed: Parsed) -> None:
        kind, call = parsed.kind, parsed.call
        if parsed.event is not None:
            self._events.append(parsed.event)
            tz = timezone_of(call)
            profile_id = call.user_id or call.anonymous_id
            if tz is not None and profile_id is not None:
                self._zones.append((profile_id, tz))
            return
        await self.flush()
        if kind == "alias":
            assert call.previous_id is not None and call.user_id is not None
            await merge_and_end(
                self.pool, self.temporal, call.previous_id, call.user_id, relink=True
            )
        else:
            await self._identify(call)
        self.outcome.accepted += 1

    async def _identify(self, call: SegmentCall) -> None:
        if call.user_id is not None and call.anonymous_id not in (None, call.user_id):
            assert call.anonymous_id is not None
            await merge_and_end(
                self.pool, self.temporal, call.anonymous_id, call.user_id, relink=False
            )
        given = call.user_id or call.anonymous_id
        assert given is not None
        traits = call.traits or {}
        contact: dict[str, Any] = {
            name: traits[name] for name in CONTACT_TRAITS if isinstance(traits.get(name), str)
        }
        tz = timezone_of(call)
        if tz is not None:
            contact["timezone"] = tz
        attrs = {k: v for k, v in traits.items() if k not in CONTACT_TRAITS and v is not None}
        removed = [k for k, v in traits.items() if k not in CONTACT_TRAITS and v is None]
        async with self.pool.acquire() as conn:
            profile_id = await resolve(conn, given)
            await conn.execute(q("patch_profile"), profile_id, contact, attrs, removed)

    async def flush(self) -> None:
        if self._events:
            events, self._events = self._events, []
            ids, new = await store(self.pool, events)
            self.outcome.accepted += len(new)
            self.outcome.duplicates += len(ids) - len(new)
            self.outcome.event_ids.extend(ids)
        if self._zones:
            zones, self._zones = self._zones, []
            await self.pool.execute(
                q("set_timezones"), [p for p, _ in zones], [tz for _, tz in zones]
            )


def parse_call(
    now: datetime,
    kind: SegmentType | None,
    raw: Any,
    prefix: str,
    context: dict[str, Any] | None = None,
) -> Parsed | list[FieldError]:
    """One call checked in full (shape, spec rules, event fields) at the server's `now`,
    or its field errors."""
    if not isinstance(raw, dict):
        return [{"field": prefix or "body", "message": "must be a JSON object"}]
    try:
        call = SegmentCall.model_validate(raw)
    except ValidationError as exc:
        return field_errors(exc, prefix)
    return complete(now, kind, call, prefix, context)


def complete(
    now: datetime,
    kind: SegmentType | None,
    call: SegmentCall,
    prefix: str,
    context: dict[str, Any] | None,
) -> Parsed | list[FieldError]:
    """The checks after the shape: type, spec rules, timestamp, and the event it makes.

    The timestamp rule holds for identify and alias too, though they store no event: one
    rule for every call, so a client's broken clock shows on its first call of any type."""
    chosen = kind or call.type
    if chosen is None:
        return [_err(prefix, "type", "field required")]
    if context:
        call.context = {**context, **(call.context or {})}
    errors = check(chosen, call, prefix)
    stamp = timestamp_problem(call.timestamp, now)
    if stamp is not None:
        errors.append(_err(prefix, "timestamp", stamp))
    if errors:
        return errors
    if chosen not in ("track", "page", "screen"):
        return Parsed(chosen, call)
    try:
        return Parsed(chosen, call, to_event(chosen, call))
    except ValidationError as exc:
        return _event_errors(exc, prefix)


_CALLS = TypeAdapter(list[SegmentCall])


def parse_batch(
    now: datetime, items: list[Any], context: dict[str, Any] | None
) -> tuple[list[Parsed], list[FieldError]]:
    """Every item of a batch at the server's `now`; the shapes are validated in one pass
    when they are all good."""
    try:
        calls: list[SegmentCall] | None = _CALLS.validate_python(items)
    except ValidationError:
        calls = None
    parsed: list[Parsed] = []
    errors: list[FieldError] = []
    for i, item in enumerate(items):
        prefix = f"batch[{i}]"
        one = (
            complete(now, None, calls[i], prefix, context)
            if calls is not None
            else parse_call(now, None, item, prefix, context)
        )
        if isinstance(one, list):
            errors.extend(one)
        else:
            parsed.append(one)
    return parsed, errors


_EVENT_FIELDS = {"event_id": "messageId", "name": "event", "profile_id": "userId"}


def _event_errors(exc: ValidationError, prefix: str) -> list[FieldError]:
    """Errors of the derived event, named by the Segment field they came from."""
    out: list[FieldError] = []
    for err in exc.errors():
        loc = err.get("loc", ())
        name = _EVENT_FIELDS.get(str(loc[0]), str(loc[0])) if loc else "body"
        out.append(_err(prefix, name, str(err.get("msg")).removeprefix("Value error, ")))
    return out


async def apply_calls(pool: asyncpg.Pool, temporal: Client, calls: Sequence[Parsed]) -> Outcome:
    applier = Applier(pool, temporal)
    for parsed in calls:
        await applier.add(parsed)
    await applier.flush()
    return applier.outcome
