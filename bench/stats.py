"""The statistics the benchmarks report: rates, percentiles, quantile lines and medians."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass


@dataclass
class Rate:
    count: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.count / self.seconds if self.seconds > 0 else math.inf

    def __str__(self) -> str:
        return f"{self.per_second:8.1f}/s  ({self.count} in {self.seconds:.1f} s)"


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def quantiles(values: list[float]) -> str:
    v = sorted(values)
    return " ".join(f"{q}% {v[min(len(v) - 1, len(v) * q // 100)]:.1f}" for q in (10, 50, 90, 100))


def median_rate(rates: list[Rate]) -> float:
    return statistics.median(r.per_second for r in rates)
