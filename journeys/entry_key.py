"""The instance key of a keyed journey (`entry.key`, architecture decision 13).

A keyed journey runs once per (journey, profile, key) at a time: one abandoned-cart run per
cart. The key is an expression over an event, evaluated on the entry event to name the
instance and on every later event to find the instance it concerns. It becomes the last
part of the workflow id, so its value is turned into text that is safe there and
unambiguous: a string or an integer (42 and "42" are the same key), with every character
outside `A-Z a-z 0-9 . _ - ~` percent-encoded (UTF-8), at most `MAX_KEY_LENGTH` characters
once encoded. The encoded text is the key everywhere: the workflow id, the entry ledger and
the API.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from journeys.expressions import ExpressionError, compile_expression, event_data
from journeys.records import Event

KEY_NAMES = frozenset({"event"})
"""What `entry.key` may read: the event it is evaluated on, and nothing that could change
between the entry and a later event (the profile, the clock)."""
MAX_KEY_LENGTH = 200
"""Encoded length bound: `journey:` + a 128-character journey id + a 200-character profile
id + this stays well inside Temporal's 1,000-byte workflow ids."""
_SAFE = "._-"  # quote() never encodes ASCII letters, digits and "_.-~" anyway


class KeyMissing(Exception):
    """The event carries no usable key: it enters no instance and concerns none."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def key_text(value: Any) -> str:
    """The key for an evaluated value, or KeyMissing saying why there is none."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise KeyMissing(f"key is a {type(value).__name__}, not a string or an integer")
    text = str(value)
    if text == "":
        raise KeyMissing("key is empty")
    encoded = quote(text, safe=_SAFE)
    if len(encoded) > MAX_KEY_LENGTH:
        raise KeyMissing(f"key is longer than {MAX_KEY_LENGTH} characters once encoded")
    return encoded


def event_key(source: str, event: Event) -> str:
    """The key `source` reads from `event`; KeyMissing if it cannot be read or used."""
    try:
        value = compile_expression(source).evaluate({"event": event_data(event)})
    except ExpressionError as exc:
        raise KeyMissing(f"no key: {exc.message}") from exc
    return key_text(value)
