"""CSV and JSON exports: the clinic's events and infusions, and a patient's own data.

Every builder reads in a constant number of queries whatever the number of rows
(select_related / prefetch_related, iterated in chunks), and every CSV cell is
neutralised against formula injection: a spreadsheet must never run a patient's
free text (a lot number, a note, a name) as a formula.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from itertools import chain
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from .charts import highest_rate
from .models import Clinic, Flag, FollowUp, Infusion, RateChange, ReactionReport, ReportedSymptom, User, Vitals

# Cells a spreadsheet would read as a formula (OWASP "CSV injection"); tab and CR too.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHUNK_SIZE = 500


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


def local_day_start(day: date) -> datetime:
    """Midnight at the start of ``day`` in the current time zone."""
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def symptoms_text(symptoms: Iterable[ReportedSymptom], *, clinical: bool = True) -> str:
    """'Headache (moderate); Pyrexia (mild)'."""
    return "; ".join(
        f"{s.symptom.clinical_name if clinical else s.symptom.label} ({s.get_grade_display().lower()})"
        for s in symptoms
    )


# --- Clinic exports -----------------------------------------------------------------------------


def events_queryset(
    *,
    clinic: Clinic,
    kind: str = "",
    status: str = "active",
    product: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[Flag]:
    """The clinic's flags, filtered, oldest first.

    ``status`` takes the queue's words so that "Download these events" gives what the queue
    shows: no status or "active" (the queue's default) is open or acknowledged and not
    snoozed; "all" is every flag, the closed ones too; "open", "acknowledged", "closed" and
    "snoozed" are what they say.
    """
    flags = Flag.objects.filter(clinic=clinic)
    if kind:
        flags = flags.filter(kind=kind)
    now = timezone.now()
    not_snoozed = Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=now)
    if status in ("", "active"):
        flags = flags.exclude(status=Flag.Status.CLOSED).filter(not_snoozed)
    elif status == "snoozed":
        flags = flags.exclude(status=Flag.Status.CLOSED).filter(snoozed_until__gt=now)
    elif status and status != "all":
        flags = flags.filter(status=status)
    if product:
        flags = flags.filter(
            Q(report__infusion__product=product)
            | Q(vitals__infusion__product=product)
            | Q(followup__infusion__product=product)
        )
    if date_from:
        flags = flags.filter(created_at__gte=local_day_start(date_from))
    if date_to:
        flags = flags.filter(created_at__lt=local_day_start(date_to + timedelta(days=1)))
    return flags.order_by("created_at", "pk")


EVENT_COLUMNS = [
    "id", "created", "kind", "status", "outcome", "patient", "patient_id", "source", "level",
    "infusion_date", "product", "lot", "symptoms", "acknowledged_by", "acknowledged", "assigned_to", "closed",
]  # fmt: skip


def events_csv(queryset: QuerySet[Flag], *, tz: tzinfo | None = None) -> Iterator[str]:
    """CSV lines (header first) for these flags, read lazily in chunks for a StreamingHttpResponse.

    Two queries per 500 flags (the flags with their patient and infusion, their symptoms).
    Times are shown in ``tz``, by default the time zone current when this is called: the
    lines are produced later, after the request's middleware has reset the time zone.
    """
    tz = tz or timezone.get_current_timezone()
    flags = queryset.select_related(
        "patient", "acknowledged_by", "assigned_to",
        "report__infusion", "vitals__infusion", "followup__infusion",
    ).prefetch_related(Prefetch("report__symptoms", queryset=ReportedSymptom.objects.order_by("pk")))  # fmt: skip
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
        flag.acknowledged_by.full_name if flag.acknowledged_by else "",
        flag.acknowledged_at,
        flag.assigned_to.full_name if flag.assigned_to else "",
        flag.closed_at,
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
    if date_from:
        infusions = infusions.filter(started_at__gte=local_day_start(date_from))
    if date_to:
        infusions = infusions.filter(started_at__lt=local_day_start(date_to + timedelta(days=1)))
    return infusions.order_by("started_at", "pk")


INFUSION_COLUMNS = [
    "id", "patient", "patient_id", "status", "started", "ended", "product", "lot", "dose_g", "setting",
    "premedication", "pre_hydrated", "highest_rate", "reports", "highest_level", "symptoms",
]  # fmt: skip
_LEVEL_ORDER = {"mild": 1, "review": 2, "severe": 3}


def infusions_csv(queryset: QuerySet[Infusion], *, tz: tzinfo | None = None) -> Iterator[str]:
    """CSV lines (header first) for these infusions, read lazily in chunks (see events_csv).

    Four queries per 500 infusions: infusions with their patient, rate changes, reports, symptoms.
    """
    tz = tz or timezone.get_current_timezone()
    infusions = queryset.select_related("patient").prefetch_related(
        Prefetch("rate_changes", queryset=RateChange.objects.order_by("changed_at", "pk")),
        Prefetch("reports", queryset=ReactionReport.objects.order_by("created_at", "pk").prefetch_related(
            Prefetch("symptoms", queryset=ReportedSymptom.objects.order_by("pk")))),
    )  # fmt: skip
    rows = (_infusion_row(infusion) for infusion in infusions.iterator(chunk_size=CHUNK_SIZE))
    return csv_lines(chain([INFUSION_COLUMNS], rows), tz=tz)


def _infusion_row(infusion: Infusion) -> list[Any]:
    reports = list(infusion.reports.all())
    levels = [report.level for report in reports]
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
        max(levels, key=lambda level: _LEVEL_ORDER.get(level, 0)) if levels else "",
        " | ".join(symptoms_text(report.symptoms.all()) for report in reports if report.symptoms.all()),
    ]


# --- A patient's own data -------------------------------------------------------------------


def _patient_infusions(patient: User) -> list[Infusion]:
    """All the patient's infusions with everything recorded about them: six queries."""
    return list(
        Infusion.objects.filter(patient=patient)
        .order_by("started_at", "pk")
        .prefetch_related(
            Prefetch("vitals", queryset=Vitals.objects.order_by("recorded_at", "pk")),
            Prefetch("rate_changes", queryset=RateChange.objects.order_by("changed_at", "pk")),
            Prefetch("reports", queryset=ReactionReport.objects.order_by("created_at", "pk").prefetch_related(
                Prefetch("symptoms", queryset=ReportedSymptom.objects.order_by("pk")))),
            Prefetch("followups", queryset=FollowUp.objects.order_by("due_at", "pk")),
        )
    )  # fmt: skip


def _iso(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return (
            timezone.localtime(value).isoformat(timespec="seconds") if timezone.is_aware(value) else value.isoformat()
        )
    return value.isoformat()


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else f"{value.normalize():f}"


def _profile(patient: User) -> dict[str, Any]:
    return {
        "id": patient.pk,
        "full_name": patient.full_name,
        "email": patient.email,
        "clinic": patient.clinic.name if patient.clinic_id else None,
        "clinic_phone": patient.clinic.emergency_phone if patient.clinic_id else None,
        "time_zone": str(patient.tzinfo),
        "indication": patient.get_indication_display() if patient.indication else "",
        "followup_emails": patient.followup_state,
        "followups_paused_until": _iso(patient.followups_paused_until),
        "followups_stopped_at": _iso(patient.followups_stopped_at),
        "date_joined": _iso(patient.date_joined),
    }


def _symptom(s: ReportedSymptom) -> dict[str, Any]:
    return {
        "code": s.code,
        "label": str(s.symptom.label),
        "clinical_name": str(s.symptom.clinical_name),
        "warning_sign": s.symptom.is_warning_sign,
        "grade": s.grade,
        "onset": s.onset,
        "ongoing": s.ongoing,
    }


def _report(report: ReactionReport) -> dict[str, Any]:
    return {
        "id": report.pk,
        "created_at": _iso(report.created_at),
        "level": report.level,
        "your_answers_level": report.patient_level,
        "clinician_level": report.clinician_level,
        "notes": report.notes,
        "symptoms": [_symptom(s) for s in report.symptoms.all()],
    }


def _vitals(v: Vitals) -> dict[str, Any]:
    return {
        "id": v.pk,
        "phase": v.phase,
        "recorded_at": _iso(v.recorded_at),
        "systolic": v.systolic,
        "diastolic": v.diastolic,
        "pulse": v.pulse,
        "temperature": _dec(v.temperature),
        "out_of_range": v.out_of_range,
        "note": v.note,
    }


def _rate(r: RateChange) -> dict[str, Any]:
    return {"id": r.pk, "changed_at": _iso(r.changed_at), "rate": _dec(r.rate), "unit": r.get_unit_display(),
            "note": r.note}  # fmt: skip


def _followup(f: FollowUp) -> dict[str, Any]:
    return {
        "id": f.pk,
        "kind": f.kind,
        "offset_hours": f.offset_hours,
        "due_at": _iso(f.due_at),
        "status": f.status,
        "sent_at": _iso(f.sent_at),
        "reminder_sent_at": _iso(f.reminder_sent_at),
        "answered_at": _iso(f.answered_at),
        "answer": f.answer,
        "report_id": f.report_id,
    }


def patient_data_json(*, patient: User) -> dict[str, Any]:
    """Everything the app holds about this patient's own care, as JSON-ready data (right of access)."""
    infusions = _patient_infusions(patient)
    return {
        "format": "ivigtrack-patient-export",
        "version": 1,
        "exported_at": _iso(timezone.now()),
        "profile": _profile(patient),
        "infusions": [
            {
                "id": i.pk,
                "status": i.status,
                "started_at": _iso(i.started_at),
                "ended_at": _iso(i.ended_at),
                "product": i.product,
                "product_name": i.product_name,
                "lot_number": i.lot_number,
                "dose_grams": _dec(i.dose_grams),
                "setting": i.setting,
                "premedication": i.premedication,
                "pre_hydrated": i.pre_hydrated,
                "notes": i.notes,
                "vitals": [_vitals(v) for v in i.vitals.all()],
                "rate_changes": [_rate(r) for r in i.rate_changes.all()],
                "reports": [_report(r) for r in i.reports.all()],
                "followups": [_followup(f) for f in i.followups.all()],
            }
            for i in infusions
        ],
    }


def patient_data_csv(*, patient: User) -> str:
    """The same data as patient_data_json, as one CSV file of titled sections (one table each)."""
    data = patient_data_json(patient=patient)
    profile = data["profile"]
    rows: list[list[Any]] = [["Your ivigtrack data, exported", data["exported_at"]], []]
    rows += [["Profile"], ["field", "value"], *([key, value] for key, value in profile.items()), []]

    def section(title: str, header: list[str], body: Iterable[list[Any]]) -> None:
        rows.extend([[title], header, *body, []])

    infusions = data["infusions"]
    section(
        "Infusions",
        ["infusion_id", "status", "started_at", "ended_at", "product", "lot_number", "dose_g", "setting",
         "premedication", "pre_hydrated", "notes"],
        ([i["id"], i["status"], i["started_at"], i["ended_at"], i["product_name"], i["lot_number"], i["dose_grams"],
          i["setting"], i["premedication"], i["pre_hydrated"], i["notes"]] for i in infusions),
    )  # fmt: skip
    section(
        "Vitals",
        ["infusion_id", "phase", "recorded_at", "systolic", "diastolic", "pulse", "temperature", "out_of_range", "note"],
        ([i["id"], v["phase"], v["recorded_at"], v["systolic"], v["diastolic"], v["pulse"], v["temperature"],
          v["out_of_range"], v["note"]] for i in infusions for v in i["vitals"]),
    )  # fmt: skip
    section(
        "Rate changes",
        ["infusion_id", "changed_at", "rate", "unit", "note"],
        ([i["id"], r["changed_at"], r["rate"], r["unit"], r["note"]] for i in infusions for r in i["rate_changes"]),
    )
    section(
        "Reported symptoms",
        ["infusion_id", "report_id", "reported_at", "level", "symptom", "clinical_name", "grade", "onset", "ongoing",
         "report_notes"],
        ([i["id"], r["id"], r["created_at"], r["level"], s["label"], s["clinical_name"], s["grade"], s["onset"],
          s["ongoing"], r["notes"]]
         for i in infusions for r in i["reports"] for s in (r["symptoms"] or [{"label": "", "clinical_name": "",
                                                                                "grade": "", "onset": "",
                                                                                "ongoing": ""}])),
    )  # fmt: skip
    section(
        "Follow-up prompts",
        ["infusion_id", "kind", "offset_hours", "due_at", "status", "sent_at", "answered_at", "answer", "report_id"],
        ([i["id"], f["kind"], f["offset_hours"], f["due_at"], f["status"], f["sent_at"], f["answered_at"], f["answer"],
          f["report_id"]] for i in infusions for f in i["followups"]),
    )  # fmt: skip
    return csv_text(rows)
