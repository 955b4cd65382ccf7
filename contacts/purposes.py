"""Consent purposes: what a profile agreed its data may be used for beyond messaging
(`advertising`, `analytics`), kept as subscriptions on the pseudo-channel `purpose` with
the purpose as topic.

Unlike a channel, a purpose is opt-in: only an explicit `subscribed` row consents; no row,
or `unsubscribed`, does not. A destination exports only the profiles that consent to its
purpose (db/queries/destinations.sql tests the same rule in SQL).
"""

from __future__ import annotations

PURPOSE_CHANNEL = "purpose"


def consents(status: str | None) -> bool:
    """Whether a profile's row for a purpose (None: no row) is consent to it."""
    return status == "subscribed"
