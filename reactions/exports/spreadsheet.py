"""CSV as a spreadsheet reads it: every cell neutralised against formula injection.

A spreadsheet must never run a patient's free text (a lot number, a note, a name) as a formula."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import Any

from django.utils import timezone

from reactions.models import (
    ReportedSymptom,
)

# Cells a spreadsheet would read as a formula (OWASP "CSV injection"); tab and CR too.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any, tz: tzinfo | None = None) -> str:
    """The text of one CSV cell, with a leading apostrophe when a spreadsheet would take it for a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        text = (
            timezone.localtime(value, tz).isoformat(timespec="minutes")
            if timezone.is_aware(value)
            else value.isoformat()
        )
    elif isinstance(value, date):
        text = value.isoformat()
    elif isinstance(value, Decimal):
        text = f"{value.normalize():f}"
    else:
        text = str(value)
    if text.startswith(_FORMULA_STARTS):
        return "'" + text
    return text


class _Line:
    """A file-like sink for csv.writer that hands back each written line."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[Sequence[Any]], *, tz: tzinfo | None = None) -> Iterator[str]:
    """Each row as one CSV line (RFC 4180 quoting, CRLF endings), every cell made safe."""
    writer = csv.writer(_Line())
    for row in rows:
        yield writer.writerow([safe_cell(cell, tz) for cell in row])


def csv_text(rows: Iterable[Sequence[Any]]) -> str:
    return "".join(csv_lines(rows))


def symptoms_text(symptoms: Iterable[ReportedSymptom], *, clinical: bool = True) -> str:
    """'Headache (moderate); Pyrexia (mild)'."""
    return "; ".join(
        f"{s.symptom.clinical_name if clinical else s.symptom.label} ({s.get_grade_display().lower()})"
        for s in symptoms
    )
