"""Median and 90th percentile of response times."""

from __future__ import annotations

from datetime import timedelta

import pytest

from reactions.domain.percentiles import percentile, summarise


def test_percentiles_interpolate_between_the_nearest_values_like_a_spreadsheet():
    values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    assert percentile(values, 0.5) == 5.5
    assert percentile(values, 0.9) == pytest.approx(9.1)  # PERCENTILE(1..10; 0.9) and percentile_cont agree
    assert percentile([30, 10, 20], 0.5) == 20  # order does not matter
    assert percentile([7], 0.9) == 7
    assert percentile([], 0.5) is None
    with pytest.raises(ValueError):
        percentile(values, 90)


def test_a_summary_of_durations_counts_and_gives_minutes():
    summary = summarise([timedelta(minutes=m) for m in (4, 10, 12, 30, 90)])
    assert (summary.count, summary.median, summary.median_minutes) == (5, timedelta(minutes=12), 12)
    assert summary.p90_minutes == pytest.approx(66)
    empty = summarise([])
    assert (empty.count, empty.median, empty.p90_minutes) == (0, None, None)
