"""Folding the interpreter's per-step trace records into one record per node visit.

A visit is traced when it begins and again when it ends, often in different steps; the
driver buffers records between writes, and the step ledger keeps one row per
(run, node, visit). `merge` gives that row's content from any number of records, so a batch
never names a row twice and the result does not depend on how steps were batched.
"""

from __future__ import annotations

from collections.abc import Iterable

from journeys.runtime import StepTrace


def merge(records: Iterable[StepTrace]) -> list[StepTrace]:
    """One record per (node, visit), in order of first appearance: the earliest entry time,
    and the first ending seen (a visit ends once)."""
    merged: dict[tuple[str, int], StepTrace] = {}
    for record in records:
        key = (record.node, record.visit)
        seen = merged.get(key)
        if seen is None:
            merged[key] = record.model_copy()
            continue
        if record.entered_at < seen.entered_at:
            seen.entered_at = record.entered_at
        if seen.seq is None:
            seen.seq = record.seq
        if seen.left_at is None and record.left_at is not None:
            seen.left_at, seen.outcome = record.left_at, record.outcome
            seen.detail, seen.checks = record.detail, list(record.checks)
    return list(merged.values())
