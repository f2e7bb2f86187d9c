"""Patients' answers to follow-up prompts as CSV: one row per prompt offset, then one for all of them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from reactions.exports.spreadsheet import csv_lines
from reactions.models import Clinic
from reactions.selectors.prompt_response import OffsetResponse, PromptResponse

PROMPT_RESPONSE_COLUMNS = [
    "clinic",
    "from",
    "to",
    "offset_hours",
    "sent",
    "answered",
    "answered_percent",
    "no_new_symptoms",
    "reported_symptoms",
    "no_response",
    "awaiting_answer",
    "undeliverable",
    "median_minutes_to_answer",
]


def _decimal(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def prompt_response_csv(response: PromptResponse, *, clinic: Clinic) -> Iterator[str]:
    def row(line: OffsetResponse) -> list[Any]:
        return [
            clinic.name,
            response.date_from,
            response.date_to,
            "all" if line.offset_hours is None else line.offset_hours,
            line.sent,
            line.answered,
            _decimal(line.answered_percent),
            line.no_symptoms,
            line.reported,
            line.no_response,
            line.awaiting,
            line.undeliverable,
            _decimal(line.time_to_answer.median_minutes),
        ]

    return csv_lines([PROMPT_RESPONSE_COLUMNS, *(row(line) for line in response.offsets), row(response.total)])
