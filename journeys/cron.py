"""Checking cron expressions of read-audience schedules at publish, without a cron library.

Temporal Schedules parse the expression themselves (architecture decision 6); this check
exists so that a typo is reported with its path when the definition is validated, not
as an RPC error when the schedule is created. It accepts the common subset both sides
agree on: five fields (minute hour day-of-month month day-of-week) made of `*`, numbers,
ranges, steps and lists, month and weekday names, and the `@hourly`-style macros.
"""

from __future__ import annotations

import re

MACROS = frozenset(
    {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
# (name, lowest, highest, names mapped to numbers)
_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, {m: i + 1 for i, m in enumerate(_MONTHS)}),
    ("day of week", 0, 7, {d: i for i, d in enumerate(_DAYS)}),
)
_ITEM = re.compile(r"^(?P<range>\*|[A-Za-z0-9]+(?:-[A-Za-z0-9]+)?)(?:/(?P<step>[0-9]+))?$")


def cron_problem(expression: str) -> str | None:
    """Why `expression` is not an accepted cron expression, or None if it is."""
    text = expression.strip()
    if text.lower() in MACROS:
        return None
    parts = text.split()
    if len(parts) != len(_FIELDS):
        return (
            f"a cron expression has 5 fields (minute hour day-of-month month day-of-week), "
            f'e.g. "0 9 * * MON", or is one of {", ".join(sorted(MACROS))}; got {len(parts)}'
        )
    for part, (name, low, high, names) in zip(parts, _FIELDS, strict=True):
        for item in part.split(","):
            problem = _item_problem(item, low, high, names)
            if problem is not None:
                return f"{name} {part!r}: {problem}"
    return None


def _item_problem(item: str, low: int, high: int, names: dict[str, int]) -> str | None:
    match = _ITEM.match(item)
    if match is None:
        return "use *, a number, a range a-b, a step */n or a-b/n, or a list of them"
    if match["step"] is not None and int(match["step"]) == 0:
        return "a step must be at least 1"
    if match["range"] == "*":
        return None
    bounds = []
    for token in match["range"].split("-"):
        value = names.get(token.lower()) if not token.isdigit() else int(token)
        if value is None:
            return f"unknown value {token!r}"
        if not low <= value <= high:
            return f"{value} is out of range {low}-{high}"
        bounds.append(value)
    if len(bounds) == 2 and bounds[0] > bounds[1]:
        return f"range {item!r} goes backwards"
    return None
