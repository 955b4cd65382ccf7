"""Deterministic weighted choice for splits and experiments: a hash, never a random source."""

from __future__ import annotations

import hashlib

from journeys.runtime import Check


def bucket(key: str, weights: list[int]) -> int:
    """Index of the weighted bucket `key` falls in: sha256 of the key, modulo the total."""
    total = sum(weights)
    if total <= 0:
        return 0
    point = _point(key, total)
    for index, weight in enumerate(weights):
        if point < weight:
            return index
        point -= weight
    return len(weights) - 1  # pragma: no cover - the points always fall in a bucket


def _point(key: str, total: int) -> int:
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") % total


def bucket_check(key: str, weights: list[int]) -> Check:
    """Why a split or experiment chose its path: the hashed key's point among the weights."""
    total = sum(weights)
    value = _point(key, total) if total > 0 else 0
    return Check(expression=f"sha256({key!r}) mod {total} in weights {weights}", value=value)
