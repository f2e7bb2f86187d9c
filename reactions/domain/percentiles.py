"""Summaries of a list of durations: count, median and 90th percentile."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The value below which `fraction` of the values lie, interpolated linearly between the two nearest
    (the "inclusive" method: spreadsheets' PERCENTILE and PostgreSQL's percentile_cont agree). None for
    no values."""
    if not values:
        return None
    if not 0 <= fraction <= 1:
        raise ValueError(f"fraction must be between 0 and 1, not {fraction}")
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class DurationSummary:
    count: int
    median: timedelta | None
    p90: timedelta | None

    @property
    def median_minutes(self) -> float | None:
        return None if self.median is None else self.median.total_seconds() / 60

    @property
    def p90_minutes(self) -> float | None:
        return None if self.p90 is None else self.p90.total_seconds() / 60


def summarise(durations: Sequence[timedelta]) -> DurationSummary:
    seconds = [d.total_seconds() for d in durations]
    median, p90 = percentile(seconds, 0.5), percentile(seconds, 0.9)
    return DurationSummary(
        count=len(seconds),
        median=None if median is None else timedelta(seconds=median),
        p90=None if p90 is None else timedelta(seconds=p90),
    )
