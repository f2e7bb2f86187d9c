"""The doctor-ready summary of a patient's infusions and reactions over a period."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from reactions.domain import dates
from reactions.domain.severity import ReportLevel
from reactions.models import User
from reactions.selectors.burden import symptom_burden
from reactions.selectors.history import patient_history

SUMMARY_DEFAULT_MONTHS = 6


def months_before(day: date, months: int) -> date:
    """The same day ``months`` earlier, clamped to the month's end (31 Aug - 6 months = 28/29 Feb)."""
    month_index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(month_index, 12)
    month += 1
    next_month = date(year + (month == 12), month % 12 + 1, 1)
    return date(year, month, min(day.day, (next_month - timedelta(days=1)).day))


def summary_context(*, patient: User, date_from: date, date_to: date) -> dict[str, Any]:
    """Everything the summary shows for the range, in a constant number of queries."""
    since, until = dates.period(date_from, date_to, timezone.get_current_timezone())
    infusions = patient_history(patient=patient, since=since, until=until)
    reports = [report for infusion in infusions for report in infusion.reports.all()]
    return {
        "patient": patient,
        "date_from": date_from,
        "date_to": date_to,
        "infusions": infusions,
        "given_count": sum(1 for i in infusions if i.is_given),
        "report_count": len(reports),
        "severe_count": sum(1 for r in reports if r.level == ReportLevel.SEVERE),
        "chart": symptom_burden(patient=patient, since=since, until=until),
        "generated_at": timezone.now(),
    }
