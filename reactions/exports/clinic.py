"""The clinic's CSV exports: events (flags) and infusions, streamed in chunks in a constant number of
queries whatever the number of rows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, tzinfo
from itertools import chain
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from reactions.charts import highest_rate
from reactions.domain import dates
from reactions.domain.severity import most_severe
from reactions.exports.reporters import reporter_text, staff_entry_name
from reactions.exports.spreadsheet import csv_lines, symptoms_text
from reactions.models import (
    Clinic,
    EventAssessment,
    Flag,
    Infusion,
    RateChange,
    ReactionReport,
    ReportedSymptom,
    Vitals,
)
from reactions.selectors.pharmacovigilance import current_assessment, current_assessment_prefetch

CHUNK_SIZE = 500


EVENT_COLUMNS = [
    "id",
    "created",
    "kind",
    "status",
    "outcome",
    "patient",
    "patient_id",
    "source",
    "level",
    "infusion_date",
    "product",
    "lot",
    "symptoms",
    # Who gave the report ("patient" or "caregiver: <name>") and the member of staff who entered it, if any.
    "reported_by",
    "entered_by",
    "acknowledged_by",
    "acknowledged",
    "contacted",
    "assigned_to",
    "closed",
    # A clinician's pharmacovigilance assessment of the report (empty until there is one).
    "serious",
    "seriousness_criteria",
    "causality",
    "action_taken",
    "event_outcome",
    "assessed_by",
    "assessed",
]


def events_csv(queryset: QuerySet[Flag], *, tz: tzinfo | None = None) -> Iterator[str]:
    """CSV lines (header first) for these flags, read lazily in chunks for a StreamingHttpResponse.

    Three queries per 500 flags (the flags with their patient and infusion, their symptoms, their reports'
    current assessments).
    Times are shown in ``tz``, by default the time zone current when this is called: the
    lines are produced later, after the request's middleware has reset the time zone.
    """
    tz = tz or timezone.get_current_timezone()
    flags = queryset.select_related(
        "patient",
        "acknowledged_by",
        "assigned_to",
        "report__infusion",
        "report__entered_by",
        "vitals__infusion",
        "followup__infusion",
    ).prefetch_related(
        Prefetch("report__symptoms", queryset=ReportedSymptom.objects.order_by("pk")),
        current_assessment_prefetch("report__assessments"),
    )
    rows = (_event_row(flag, tz) for flag in flags.iterator(chunk_size=CHUNK_SIZE))
    return csv_lines(chain([EVENT_COLUMNS], rows), tz=tz)


def _event_row(flag: Flag, tz: tzinfo) -> list[Any]:
    infusion = flag.infusion
    if flag.report_id:
        source, level, symptoms = "report", flag.report.level, symptoms_text(flag.report.symptoms.all())
    elif flag.vitals_id:
        source, level, symptoms = "vitals", "", _vitals_text(flag.vitals)
    elif flag.kind == Flag.Kind.UNREACHABLE:
        source, level, symptoms = "cannot reach", "", flag.reason
    else:
        source, level, symptoms = "no response", "", ""
    return [
        flag.pk,
        flag.created_at,
        flag.kind,
        flag.status,
        flag.outcome,
        flag.patient.full_name,
        flag.patient_id,
        source,
        level,
        timezone.localtime(infusion.started_at, tz).date() if infusion else None,
        infusion.product_name if infusion else "",
        infusion.lot_number if infusion else "",
        symptoms,
        reporter_text(flag.report) if flag.report_id else "",
        staff_entry_name(flag.report) if flag.report_id else "",
        flag.acknowledged_by.full_name if flag.acknowledged_by else "",
        flag.acknowledged_at,
        flag.contacted_at,
        flag.assigned_to.full_name if flag.assigned_to else "",
        flag.closed_at,
        *_assessment_cells(current_assessment(flag.report) if flag.report_id else None),
    ]


def _assessment_cells(assessment: EventAssessment | None) -> list[Any]:
    if assessment is None:
        return ["", "", "", "", "", "", None]
    return [
        assessment.is_serious,
        "; ".join(assessment.criteria),
        assessment.causality,
        assessment.action_taken,
        assessment.outcome,
        assessment.recorded_by.full_name if assessment.recorded_by else "",
        assessment.recorded_at,
    ]


def _vitals_text(vitals: Vitals) -> str:
    parts = []
    if vitals.systolic is not None:
        parts.append(f"BP {vitals.systolic}/{vitals.diastolic}")
    if vitals.pulse is not None:
        parts.append(f"pulse {vitals.pulse}")
    if vitals.temperature is not None:
        parts.append(f"{vitals.temperature} °C")
    return f"Vitals ({vitals.phase}): " + ", ".join(parts)


def infusions_queryset(
    *, clinic: Clinic, product: str = "", date_from: date | None = None, date_to: date | None = None
) -> QuerySet[Infusion]:
    infusions = Infusion.objects.filter(patient__clinic=clinic)
    if product:
        infusions = infusions.filter(product=product)
    infusions = infusions.filter(**dates.within("started_at", date_from, date_to, timezone.get_current_timezone()))
    return infusions.order_by("started_at", "pk")


INFUSION_COLUMNS = [
    "id",
    "patient",
    "patient_id",
    "status",
    "started",
    "ended",
    "product",
    "lot",
    "dose_g",
    "setting",
    "premedication",
    "pre_hydrated",
    "highest_rate",
    "reports",
    "highest_level",
    "symptoms",
    # Who gave each report, in the reports' order ("patient | caregiver: <name>").
    "reported_by",
]


def infusions_csv(queryset: QuerySet[Infusion], *, tz: tzinfo | None = None) -> Iterator[str]:
    """CSV lines (header first) for these infusions, read lazily in chunks (see events_csv).

    Four queries per 500 infusions: infusions with their patient, rate changes, reports, symptoms.
    """
    tz = tz or timezone.get_current_timezone()
    infusions = queryset.select_related("patient").prefetch_related(
        Prefetch("rate_changes", queryset=RateChange.objects.order_by("changed_at", "pk")),
        Prefetch(
            "reports",
            queryset=ReactionReport.objects.order_by("created_at", "pk")
            .select_related("entered_by")
            .prefetch_related(Prefetch("symptoms", queryset=ReportedSymptom.objects.order_by("pk"))),
        ),
    )
    rows = (_infusion_row(infusion) for infusion in infusions.iterator(chunk_size=CHUNK_SIZE))
    return csv_lines(chain([INFUSION_COLUMNS], rows), tz=tz)


def _infusion_row(infusion: Infusion) -> list[Any]:
    reports = list(infusion.reports.all())
    return [
        infusion.pk,
        infusion.patient.full_name,
        infusion.patient_id,
        infusion.status,
        infusion.started_at,
        infusion.ended_at,
        infusion.product_name,
        infusion.lot_number,
        infusion.dose_grams,
        infusion.setting,
        infusion.premedication,
        infusion.pre_hydrated,
        highest_rate(list(infusion.rate_changes.all())),
        len(reports),
        most_severe(report.level for report in reports) or "",
        " | ".join(symptoms_text(report.symptoms.all()) for report in reports if report.symptoms.all()),
        " | ".join(reporter_text(report) for report in reports),
    ]
