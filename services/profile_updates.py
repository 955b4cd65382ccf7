"""A profile update node's arithmetic: set, then increment.

Pure: the worker's update (activities/steps.py) and test mode (services/testrun.py) give
the same attributes.
"""

from __future__ import annotations

from core.contracts import UpdateProfileInput


def apply_update(attributes: dict[str, object], inp: UpdateProfileInput) -> dict[str, object]:
    """Set, then increment (a missing or non-numeric attribute counts as 0)."""
    out = {**attributes, **inp.set}
    for key, delta in inp.increment.items():
        current = out.get(key)
        base = current if isinstance(current, int | float) and not isinstance(current, bool) else 0
        total = base + delta
        out[key] = int(total) if float(total).is_integer() else total
    return out
