"""The bench's own arithmetic (bench/): percentiles, pooled rounds, and which targets a run met.

The bench itself needs gunicorn, hey and minutes of load (`make bench`); what it concludes from its
measurements is checked here, so that a wrong sum cannot turn a miss into a pass.
"""

from __future__ import annotations

import math
from argparse import Namespace

import pytest

from bench import web
from bench.__main__ import _targets, format_table


def test_percentiles_interpolate_between_samples():
    values = [float(v) for v in range(1, 101)]
    assert web._percentile(values, 0.50) == 50.5
    assert web._percentile(values, 0.95) == pytest.approx(95.05)
    assert web._percentile([7.0], 0.99) == 7.0
    assert math.isnan(web._percentile([], 0.5))


def test_stats_of_the_times_pooled_over_the_rounds():
    # Two rounds' times, unsorted as they arrive; 2 s under load in all; one wrong status.
    stats = web._stats([30.0, 10.0, 40.0, 20.0], 2.0, 1)
    assert stats == {
        "requests": 4,
        "errors": 1,
        "p50_ms": 25.0,
        "p95_ms": 38.5,
        "p99_ms": 39.7,
        "mean_ms": 25.0,
        "throughput_rps": 2.0,
    }


def _row(page: str, p50: float, p50_x: float, p95_x: float) -> dict:
    return {
        "page": page,
        "p50_ms": p50,
        "p95_ms": p50 * 1.5,
        "p99_ms": p50 * 2,
        "throughput_rps": 100.0,
        "p50_x_floor": p50_x,
        "p95_x_floor": p95_x,
    }


def _results() -> dict:
    return {
        "machine": {"cores": 2, "memory_gib": 24, "cpu": "Test CPU", "python": "3.11"},
        "settings": {"gunicorn_workers": 2, "concurrency": 2, "duration_s": 10.0},
        "generator": [],
        "web": {
            "1": [
                _row("floor (trivial view)", 5.0, 1.0, 1.0),
                _row("fast page", 10.0, 2.0, 2.0),
                _row("slow page", 10.0, 2.0, 2.0),
            ],
            "100": [
                _row("floor (trivial view)", 5.5, 1.0, 1.0),
                _row("fast page", 14.9, 2.71, 3.99),
                _row("slow page", 15.1, 3.01, 4.01),
            ],
        },
        "engine": {
            "dispatch": {"messages": 10, "seconds": 2.0, "throughput": 5.0, "x_floor": 0.5},
            "floor": {"messages": 10, "seconds": 1.0, "throughput": 10.0},
            "severe_alert": {"reports": 3, "p50_s": 0.05, "p95_s": 2.0, "max_s": 2.1},
        },
    }


def test_targets_are_met_up_to_the_limit_and_missed_beyond_it():
    results = _results()
    checks = {check["target"]: check for check in _targets(results, Namespace(scales=[1, 100]))}
    met = {target for target, check in checks.items() if check["met"]}
    assert met == {
        "fast page: p50 <= 3x floor",
        "fast page: p95 <= 4x floor",
        "fast page: p50 at 100x <= 1.5x p50 at 1x",
        "floor (trivial view): p50 at 100x <= 1.5x p50 at 1x",
        "dispatcher >= 50% of SMTP floor throughput",
    }
    # Growth is the page's own p50 at the largest scale over its p50 at the smallest.
    assert checks["slow page: p50 at 100x <= 1.5x p50 at 1x"]["value"] == 1.51
    assert not checks["slow page: p50 <= 3x floor"]["met"] and not checks["slow page: p95 <= 4x floor"]["met"]
    assert not checks["severe alert e-mail p95 < 2 s"]["met"]  # the limit is strict: 2.0 s misses
    assert len(checks) == 9  # two ratios per page, growth of every row (the floor too), two for the engine


def test_the_table_shows_every_page_and_every_miss():
    results = _results()
    results["targets"] = _targets(results, Namespace(scales=[1, 100]))
    table = format_table(results)
    assert "| slow page | 15.1 | 22.6 | 30.2 | 100 | 3.01 | 4.01 | 10.0 | 15.1 | 1.51 |" in table
    assert "Targets: 5/9 met" in table
    assert "  [MISSED] severe alert e-mail p95 < 2 s: 2.0" in table
    assert "| dispatcher (Celery worker, 2 processes) | 10 | 2.00 | 5 | 0.50 |" in table
