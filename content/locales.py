"""Which locale variant of a template or fragment a profile gets.

A profile's locale is its `locale` attribute (`profile.locale`, `journeys.records.Profile`),
a BCP 47 tag such as `fr-CA`. Variants are keyed by tags too; the one chosen is the first of
the fallback chain that exists, comparing tags without regard to case: `fr-CA`, then `fr`,
then the default (the template's own subject and body). The ledger records the variant.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

DEFAULT = "default"
"""The variant the ledger records when no locale variant matched."""

TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
MAX_TAG = 35


def valid_tag(tag: str) -> bool:
    """A BCP 47-shaped tag: a 2-3 letter language, then subtags (`fr`, `fr-CA`, `zh-Hant-TW`)."""
    return len(tag) <= MAX_TAG and TAG.match(tag) is not None


def fallback_chain(locale: str | None) -> list[str]:
    """`fr-CA-x` -> [`fr-CA-x`, `fr-CA`, `fr`]: the tag, then each shorter prefix."""
    if not locale or not valid_tag(locale):
        return []
    parts = locale.split("-")
    return ["-".join(parts[:n]) for n in range(len(parts), 0, -1)]


def choose(variants: Iterable[str], locale: str | None) -> str | None:
    """The variant key for `locale` along its fallback chain, or None for the default."""
    by_lower = {key.lower(): key for key in variants}
    for tag in fallback_chain(locale):
        if (key := by_lower.get(tag.lower())) is not None:
            return key
    return None
