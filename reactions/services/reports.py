"""Reaction reports: saved with the flags they raise, and a clinician's reclassification."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from reactions import jobs
from reactions.domain import severity, triage
from reactions.models import (
    Flag,
    FlagEvent,
    Infusion,
    ReactionReport,
    ReportedSymptom,
    ReportReclassification,
    ReportSource,
    User,
)
from reactions.services.followups import followups_answer_for_infusion
from reactions.services.lot_signals import lot_signal_check
from reactions.services.triage import FlagActionError
from reactions.services.versions import flag_event_record, touch

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SymptomEntry:
    code: str
    grade: str
    onset: str
    ongoing: bool = False


@transaction.atomic
def report_create(
    *,
    infusion: Infusion,
    symptoms: Sequence[SymptomEntry],
    notes: str = "",
    care: str = "",
    source: str = ReportSource.PATIENT,
    entered_by: User | None = None,
    reported_at: datetime | None = None,
) -> ReactionReport:
    """Save a report with its symptoms, and the flags it raises, in one transaction.

    The same rules apply whoever gives the report: the patient in the app, or staff entering what the
    patient (or a caregiver) said on the phone or in the clinic. ``reported_at`` (default now) dates the
    report and its flags, for a history written afterwards such as the demo's.
    """
    if (source == ReportSource.PATIENT) != (entered_by is None):
        raise ValueError("A report entered by staff names its source and who entered it; the patient's own does not.")
    ticked = {s.code for s in symptoms}
    result = triage.assess(((s.code, s.grade) for s in symptoms), notes=notes, care=care)
    now = reported_at or timezone.now()
    report = ReactionReport.objects.create(
        created_at=now,
        patient=infusion.patient,
        infusion=infusion,
        notes=notes,
        care=care,
        source=source,
        entered_by=entered_by,
        tier=result.tier,
        rules_version=result.version,
        rules=list(result.rules),
        notes_signs=[code for code in result.notes_matches if code not in ticked],
        is_severe=result.alerts_clinicians,
        needs_review=result.needs_review,
    )
    ReportedSymptom.objects.bulk_create(
        ReportedSymptom(report=report, code=s.code, grade=s.grade, onset=s.onset, ongoing=s.ongoing) for s in symptoms
    )
    clinic_id = infusion.patient.clinic_id
    if result.alerts_clinicians:
        # Emergency and urgent alike: due at once, the task below sends it within seconds and the
        # minute sweep is the safety net; it escalates until someone acknowledges it.
        severe = Flag.objects.create(
            clinic_id=clinic_id,
            patient=infusion.patient,
            report=report,
            kind=Flag.Kind.SEVERE_EVENT,
            created_at=now,
            next_alert_at=now,
        )
        logger.warning("%s event reported: report %s, patient %s", result.tier.value, report.pk, infusion.patient_id)
        jobs.enqueue_on_commit(jobs.SEND_FLAG_ALERT, severe.pk)
    if result.needs_review:
        Flag.objects.create(
            clinic_id=clinic_id, patient=infusion.patient, report=report, kind=Flag.Kind.REVIEW, created_at=now
        )
    if result.alerts_clinicians:
        lot_signal_check(infusion=infusion)
    # Reporting in the app answers the infusion's open prompt.
    followups_answer_for_infusion(infusion=infusion, report=report, now=now)
    return report


@transaction.atomic
def report_reclassify(*, report: ReactionReport, by: User, to_level: str, reason: str) -> ReportReclassification:
    """A clinician's reassessment of a report. The patient's answers stay as they were; the change is recorded.

    Upgrading to severe opens a severe event (so it is triaged and counts for lot signals);
    downgrading a severe event stops its alerts, and the clinician closes it with an outcome.
    """
    if to_level not in severity.ReportLevel.values:
        raise FlagActionError(_("Choose severe, review or mild."))
    if not reason.strip():
        raise FlagActionError(_("Say why you reclassify this report."))
    from_level = report.level
    if to_level == from_level:
        raise FlagActionError(_("The report already has this severity."))
    change = ReportReclassification.objects.create(
        report=report, from_level=from_level, to_level=to_level, reason=reason, by=by
    )
    ReactionReport.objects.filter(pk=report.pk).update(clinician_level=to_level)
    touch(report_id=report.pk)
    report.clinician_level = to_level
    note = f"Reclassified from {from_level} to {to_level}: {reason}"
    active = list(report.flags.exclude(status=Flag.Status.CLOSED))
    for flag in active:
        flag_event_record(flag=flag, actor=by, action=FlagEvent.Action.RECLASSIFIED, note=note)
    if from_level == severity.ReportLevel.SEVERE:
        report.flags.filter(kind=Flag.Kind.SEVERE_EVENT).update(next_alert_at=None)
    wanted_kind = {
        severity.ReportLevel.SEVERE: Flag.Kind.SEVERE_EVENT,
        severity.ReportLevel.REVIEW: Flag.Kind.REVIEW,
    }.get(to_level)
    if wanted_kind and not any(f.kind == wanted_kind for f in active):
        now = timezone.now()
        flag, created = Flag.objects.get_or_create(
            report=report,
            kind=wanted_kind,
            defaults={
                "clinic_id": report.patient.clinic_id,
                "patient": report.patient,
                "created_at": now,
                "status": Flag.Status.ACKNOWLEDGED,
                "acknowledged_at": now,
                "acknowledged_by": by,
            },
        )
        if not created:  # a closed flag of that kind: reopen it
            Flag.objects.filter(pk=flag.pk).update(status=Flag.Status.ACKNOWLEDGED, outcome="", closed_at=None)
        flag_event_record(flag=flag, actor=by, action=FlagEvent.Action.RECLASSIFIED, note=note)
        if wanted_kind == Flag.Kind.SEVERE_EVENT:
            lot_signal_check(infusion=report.infusion)
    return change
