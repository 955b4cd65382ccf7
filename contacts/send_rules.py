"""Whether a contact may be messaged: suppression, consent and frequency caps, decided
from facts read elsewhere.

Pure, so a real send (activities/rules.py, which reads the facts and writes the ledger in
one transaction) and a backtest's simulated send (journeys/backtest.py) judge alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class SendFacts:
    """What the rules read about one send."""

    channel: str
    topic: str | None
    transactional: bool
    channel_unsubscribed: bool = False
    topic_unsubscribed: bool = False
    suppressed: str | None = None
    cap_max: int | None = None
    cap_period: timedelta | None = None
    cap_used: int = 0
    channel_consent: bool = False  # transactional too must respect a channel-wide opt-out


def skip_reason(facts: SendFacts) -> str | None:
    """Why this send must not happen, or None: suppression, then consent, then the cap."""
    if facts.suppressed:
        return f"suppressed address ({facts.suppressed})"
    if facts.transactional:  # transactional templates bypass marketing consent and caps
        if facts.channel_consent and facts.channel_unsubscribed:
            return f"unsubscribed from {facts.channel}"
        return None
    if facts.channel_unsubscribed:
        return f"unsubscribed from {facts.channel}"
    if facts.topic_unsubscribed:
        return f"unsubscribed from {facts.channel} topic {facts.topic!r}"
    if facts.cap_max is not None and facts.cap_used >= facts.cap_max:
        return f"frequency cap: {facts.cap_max} per {_period(facts.cap_period)}"
    return None


def _period(period: timedelta | None) -> str:
    if period is None:
        return "?"
    seconds = int(period.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
