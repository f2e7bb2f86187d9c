"""The doctor-ready summary of a patient's infusions and reactions over a period."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone

from reactions.charts import symptom_burden
from reactions.models import Infusion, RateChange, ReactionReport, ReportedSymptom, User, Vitals

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
    tz = timezone.get_current_timezone()
    since = datetime.combine(date_from, time.min, tzinfo=tz)
    until = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=tz)
    infusions = list(
        Infusion.objects.filter(patient=patient, started_at__gte=since, started_at__lt=until)
        .order_by("started_at", "pk")
        .prefetch_related(
            Prefetch("reports", queryset=ReactionReport.objects.order_by("created_at", "pk").prefetch_related(
                Prefetch("symptoms", queryset=ReportedSymptom.objects.order_by("pk")))),
            Prefetch("vitals", queryset=Vitals.objects.order_by("recorded_at", "pk")),
            Prefetch("rate_changes", queryset=RateChange.objects.order_by("changed_at", "pk")),
        )
    )  # fmt: skip
    reports = [report for infusion in infusions for report in infusion.reports.all()]
    return {
        "patient": patient,
        "date_from": date_from,
        "date_to": date_to,
        "infusions": infusions,
        "given_count": sum(1 for i in infusions if i.is_given),
        "report_count": len(reports),
        "severe_count": sum(1 for r in reports if r.level == "severe"),
        "chart": symptom_burden(patient=patient, since=since, until=until),
        "generated_at": timezone.now(),
    }
