"""A clinic's response times to severe events as CSV: one row per measure, minutes as decimals."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import tzinfo
from typing import Any

from reactions.domain.percentiles import DurationSummary
from reactions.exports.spreadsheet import csv_lines
from reactions.models import Clinic
from reactions.selectors.response_times import ResponseTimes

RESPONSE_TIME_COLUMNS = [
    "clinic",
    "from",
    "to",
    "measure",
    "severe_events",
    "measured",
    "median_minutes",
    "p90_minutes",
    "not_yet",
]


def _minutes(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def response_times_csv(times: ResponseTimes, *, clinic: Clinic, tz: tzinfo | None = None) -> Iterator[str]:
    def row(measure: str, summary: DurationSummary, not_yet: int) -> list[Any]:
        return [
            clinic.name,
            times.since,
            times.until,
            measure,
            times.severe_events,
            summary.count,
            _minutes(summary.median_minutes),
            _minutes(summary.p90_minutes),
            not_yet,
        ]

    return csv_lines(
        [
            RESPONSE_TIME_COLUMNS,
            row("time_to_acknowledge", times.acknowledge, times.not_acknowledged),
            row("time_to_contact", times.contact, times.not_contacted),
        ],
        tz=tz,
    )
