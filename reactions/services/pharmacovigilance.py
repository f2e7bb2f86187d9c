"""A clinician's pharmacovigilance assessment of a reported event, recorded with who and when."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from reactions.domain import pharmacovigilance as pv
from reactions.models import EventAssessment, ReactionReport, User
from reactions.models.pharmacovigilance import CRITERION_FIELDS
from reactions.services.versions import touch


class AssessmentError(Exception):
    """An assessment that contradicts itself or uses words outside the lists."""


@transaction.atomic
def event_assessment_record(
    *,
    report: ReactionReport,
    by: User,
    criteria: Iterable[str],
    causality: str,
    action_taken: str,
    outcome: str,
    note: str = "",
) -> EventAssessment:
    """Record a new assessment of the report; it becomes the current one, the previous one is kept superseded."""
    criteria = set(criteria)
    if not criteria <= set(pv.Seriousness.values):
        raise AssessmentError(_("Choose seriousness criteria from the list."))
    for value, choices in ((causality, pv.Causality), (action_taken, pv.ActionTaken), (outcome, pv.Outcome)):
        if value not in choices.values:
            raise AssessmentError(_("Choose from the lists."))
    problem = pv.consistency_error(criteria=criteria, outcome=outcome)
    if problem:
        raise AssessmentError(problem)
    now = timezone.now()
    # Lock the report's row: two clinicians saving at once each supersede the other's in turn, never both current.
    ReactionReport.objects.select_for_update().filter(pk=report.pk).first()
    EventAssessment.objects.filter(report=report, superseded_at__isnull=True).update(superseded_at=now)
    touch(report_id=report.pk)
    return EventAssessment.objects.create(
        report=report,
        causality=causality,
        action_taken=action_taken,
        outcome=outcome,
        note=note,
        recorded_by=by,
        recorded_at=now,
        **{name: name in criteria for name in CRITERION_FIELDS},
    )
