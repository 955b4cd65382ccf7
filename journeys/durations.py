"""ISO 8601 durations as journey definitions write them (`PT30M`, `P1D`, `P1M`).

Definitions keep durations as strings so that they round-trip and show as strings in the
JSON Schema; this module turns them into values. Months and years are calendar units
(`isodate.Duration`): one month after 31 January is the last day of February, which a
plain `timedelta` cannot express.
"""

from __future__ import annotations

import functools
import re
from datetime import datetime, timedelta

import isodate

# Whole numbers for every unit except seconds, no sign: what a journey can sensibly wait.
# Written so that both Python `re` and ECMAScript (JSON Schema editors) accept it.
DURATION_PATTERN = (
    r"^P(?!$)(?:\d+Y)?(?:\d+M)?(?:\d+W)?(?:\d+D)?"
    r"(?:T(?=\d)(?:\d+H)?(?:\d+M)?(?:\d+(?:\.\d+)?S)?)?$"
)
_DURATION_RE = re.compile(DURATION_PATTERN)
_DAYS_PER_YEAR_MAX = 366
_DAYS_PER_MONTH_MAX = 31
MAX_YEARS = 1000  # past this no wait is meant, and date arithmetic overflows (year 9999)


def parse_duration(text: str) -> isodate.Duration | timedelta:
    """Parse an ISO 8601 duration; `ValueError` with a message a marketer can act on."""
    if not isinstance(text, str):
        raise ValueError(_not_a_duration(text))
    return _parsed(text)


def _not_a_duration(text: object) -> str:
    return f"{text!r} is not an ISO 8601 duration; write e.g. PT30M, PT1H, P1D, P2W or P1M"


@functools.lru_cache(maxsize=1024)
def _parsed(text: str) -> isodate.Duration | timedelta:
    """Cached: a definition's few durations are parsed on every wait and every entry (the
    journey deadline), and isodate's parse was a tenth of an interpreter step. A duration
    is never changed in place (`+` makes new values), so sharing one is safe; errors are
    not cached and raise again each time."""
    if not _DURATION_RE.match(text):
        raise ValueError(_not_a_duration(text))
    try:
        value = isodate.parse_duration(text)
    except (isodate.ISO8601Error, ValueError, OverflowError) as exc:
        raise ValueError(f"{text!r} is not a usable ISO 8601 duration: {exc}") from exc
    fixed = value if isinstance(value, timedelta) else value.tdelta
    if _calendar_days(value) + fixed.days > MAX_YEARS * _DAYS_PER_YEAR_MAX:
        raise ValueError(f"{text!r} is longer than {MAX_YEARS} years")
    return value


def _calendar_days(value: isodate.Duration | timedelta) -> int:
    """The most days its years and months can last, in integers: no size overflows here."""
    if isinstance(value, timedelta):
        return 0
    return int(value.years) * _DAYS_PER_YEAR_MAX + int(value.months) * _DAYS_PER_MONTH_MAX


def add_duration(moment: datetime, text: str) -> datetime:
    """`moment` plus the duration, months and years counted on the calendar.

    Raises `ValueError` for a bad duration and `OverflowError` past year 9999.
    """
    value = parse_duration(text)
    try:
        return moment + value
    except (OverflowError, ValueError) as exc:
        raise OverflowError(f"{moment.isoformat()} plus {text} is out of range") from exc


def duration_upper_bound(text: str) -> timedelta:
    """The longest the duration can last (years of 366 days, months of 31 days).

    Used to compare waits with the journey timeout without a start date: a wait is too long
    when its upper bound exceeds the timeout's.
    """
    value = parse_duration(text)
    if isinstance(value, timedelta):
        return value
    return timedelta(days=_calendar_days(value)) + value.tdelta
