"""A patient's own data, as JSON and as CSV (right of access).

Of other people, only what the patient already sees on their pages: their caregivers' names and e-mail
addresses (and who gave each report or answer). Of their notification devices, never the push endpoint nor
its keys: they are the device's secret, not the patient's data."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from reactions.domain import followup_risk
from reactions.exports.reporters import answerer_text, reporter_text
from reactions.exports.spreadsheet import csv_text
from reactions.models import (
    CaregiverInvitation,
    CareLink,
    EventAssessment,
    FollowUp,
    PushSubscription,
    RateChange,
    ReactionReport,
    ReportedSymptom,
    User,
    Vitals,
)
from reactions.selectors.caregivers import patient_care_links, patient_pending_invitations
from reactions.selectors.history import patient_history
from reactions.selectors.pharmacovigilance import current_assessment
from reactions.selectors.push import push_devices


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
        "phone": patient.phone_dial,
        "clinic": patient.clinic.name if patient.clinic_id else None,
        "clinic_phone": patient.clinic.out_of_hours_phone if patient.clinic_id else None,
        "time_zone": str(patient.tzinfo),
        "indication": patient.get_indication_display() if patient.indication else "",
        # Recorded by the clinic; they add follow-up prompts (reactions/domain/followup_risk.py).
        "year_of_birth": patient.birth_year,
        "weight_kg": _dec(patient.weight_kg),
        "followup_risk_factors": [str(reason.label) for reason in followup_risk.patient_reasons(patient.risk_factors)],
        "followup_emails": patient.followup_state,
        "followups_paused_until": _iso(patient.followups_paused_until),
        "followups_stopped_at": _iso(patient.followups_stopped_at),
        "followups_by_email": patient.notify_email,
        "followups_by_text": patient.notify_sms,
        "texts_stopped_at": _iso(patient.sms_stopped_at),
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
        # "patient" or "caregiver: <name>"; source says how (in the app, by phone, in the clinic).
        "reported_by": reporter_text(report),
        "source": report.source,
        "level": report.level,
        "your_answers_level": report.patient_level,
        "clinician_level": report.clinician_level,
        "notes": report.notes,
        "symptoms": [_symptom(s) for s in report.symptoms.all()],
        "clinician_assessment": _assessment(current_assessment(report)),
    }


def _assessment(assessment: EventAssessment | None) -> dict[str, Any] | None:
    if assessment is None:
        return None
    return {
        "recorded_at": _iso(assessment.recorded_at),
        "recorded_by": assessment.recorded_by.full_name if assessment.recorded_by else None,
        "serious": assessment.is_serious,
        "seriousness_criteria": assessment.criteria,
        "causality": assessment.causality,
        "action_taken": assessment.action_taken,
        "outcome": assessment.outcome,
        "note": assessment.note,
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
    return {
        "id": r.pk,
        "changed_at": _iso(r.changed_at),
        "rate": _dec(r.rate),
        "unit": r.get_unit_display(),
        "note": r.note,
    }


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
        "answered_by": answerer_text(f),
        "what_changed": f.change_codes,  # a day-before check-in answered "something has changed"
        "note": f.answer_note,
        "report_id": f.report_id,
    }


def _removed_by(link: CareLink) -> str | None:
    """Who ended a caregiver's access: the patient, the caregiver stepping down, or the clinic (an account
    deletion), never naming anyone else."""
    if link.removed_at is None or link.removed_by_id is None:
        return None
    if link.removed_by_id == link.patient_id:
        return "you"
    if link.removed_by_id == link.caregiver_id:
        return "caregiver"
    return "clinic"


def _caregiver(link: CareLink) -> dict[str, Any]:
    return {
        "name": link.caregiver.full_name,
        "email": link.caregiver.email,
        "since": _iso(link.created_at),
        "gets_followup_messages": link.receives_prompts,
        "removed_at": _iso(link.removed_at),
        "removed_by": _removed_by(link),
    }


def _invitation(invitation: CaregiverInvitation) -> dict[str, Any]:
    return {"name": invitation.full_name, "email": invitation.email, "sent_at": _iso(invitation.created_at)}


def _device(device: PushSubscription) -> dict[str, Any]:
    return {
        "device": device.device_label,
        "added_at": _iso(device.created_at),
        "last_notified_at": _iso(device.last_success_at),
    }


def patient_data_json(*, patient: User) -> dict[str, Any]:
    """Everything the app holds about this patient's own care, as JSON-ready data (right of access)."""
    infusions = patient_history(patient=patient, followups=True)
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
        "caregivers": [_caregiver(link) for link in patient_care_links(patient=patient)],
        "caregiver_invitations_pending": [_invitation(i) for i in patient_pending_invitations(patient=patient)],
        "notification_devices": [_device(d) for d in push_devices(user=patient)],
    }


def patient_data_csv(*, patient: User) -> str:
    """The same data as patient_data_json, as one CSV file of titled sections (one table each)."""
    data = patient_data_json(patient=patient)
    profile = data["profile"]
    rows: list[list[Any]] = [["Your ivigtrack data, exported", data["exported_at"]], []]
    rows += [
        ["Profile"],
        ["field", "value"],
        *([key, "; ".join(value) if isinstance(value, list) else value] for key, value in profile.items()),
        [],
    ]

    def section(title: str, header: list[str], body: Iterable[list[Any]]) -> None:
        rows.extend([[title], header, *body, []])

    infusions = data["infusions"]
    section(
        "Infusions",
        [
            "infusion_id",
            "status",
            "started_at",
            "ended_at",
            "product",
            "lot_number",
            "dose_g",
            "setting",
            "premedication",
            "pre_hydrated",
            "notes",
        ],
        (
            [
                i["id"],
                i["status"],
                i["started_at"],
                i["ended_at"],
                i["product_name"],
                i["lot_number"],
                i["dose_grams"],
                i["setting"],
                i["premedication"],
                i["pre_hydrated"],
                i["notes"],
            ]
            for i in infusions
        ),
    )
    section(
        "Vitals",
        [
            "infusion_id",
            "phase",
            "recorded_at",
            "systolic",
            "diastolic",
            "pulse",
            "temperature",
            "out_of_range",
            "note",
        ],
        (
            [
                i["id"],
                v["phase"],
                v["recorded_at"],
                v["systolic"],
                v["diastolic"],
                v["pulse"],
                v["temperature"],
                v["out_of_range"],
                v["note"],
            ]
            for i in infusions
            for v in i["vitals"]
        ),
    )
    section(
        "Rate changes",
        ["infusion_id", "changed_at", "rate", "unit", "note"],
        ([i["id"], r["changed_at"], r["rate"], r["unit"], r["note"]] for i in infusions for r in i["rate_changes"]),
    )
    section(
        "Reported symptoms",
        [
            "infusion_id",
            "report_id",
            "reported_at",
            "level",
            "symptom",
            "clinical_name",
            "grade",
            "onset",
            "ongoing",
            "report_notes",
            "reported_by",
        ],
        (
            [
                i["id"],
                r["id"],
                r["created_at"],
                r["level"],
                s["label"],
                s["clinical_name"],
                s["grade"],
                s["onset"],
                s["ongoing"],
                r["notes"],
                r["reported_by"],
            ]
            for i in infusions
            for r in i["reports"]
            for s in (r["symptoms"] or [{"label": "", "clinical_name": "", "grade": "", "onset": "", "ongoing": ""}])
        ),
    )
    section(
        "Follow-up prompts",
        [
            "infusion_id",
            "kind",
            "offset_hours",
            "due_at",
            "status",
            "sent_at",
            "answered_at",
            "answer",
            "what_changed",
            "note",
            "report_id",
            "answered_by",
        ],
        (
            [
                i["id"],
                f["kind"],
                f["offset_hours"],
                f["due_at"],
                f["status"],
                f["sent_at"],
                f["answered_at"],
                f["answer"],
                " ".join(f["what_changed"]),
                f["note"],
                f["report_id"],
                f["answered_by"],
            ]
            for i in infusions
            for f in i["followups"]
        ),
    )
    section(
        "Caregivers",
        ["name", "email", "since", "gets_followup_messages", "removed_at", "removed_by"],
        (
            [c["name"], c["email"], c["since"], c["gets_followup_messages"], c["removed_at"], c["removed_by"]]
            for c in data["caregivers"]
        ),
    )
    section(
        "Caregiver invitations not yet accepted",
        ["name", "email", "sent_at"],
        ([c["name"], c["email"], c["sent_at"]] for c in data["caregiver_invitations_pending"]),
    )
    section(
        "Notification devices",
        ["device", "added_at", "last_notified_at"],
        ([d["device"], d["added_at"], d["last_notified_at"]] for d in data["notification_devices"]),
    )
    return csv_text(rows)
