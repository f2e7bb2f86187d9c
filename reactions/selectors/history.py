"""A patient's record, oldest first: each infusion with everything recorded about it."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Prefetch

from reactions.models import FollowUp, Infusion, RateChange, ReactionReport, ReportedSymptom, User, Vitals
from reactions.selectors.pharmacovigilance import current_assessment_prefetch


def patient_history(
    *, patient: User, since: datetime | None = None, until: datetime | None = None, followups: bool = False
) -> list[Infusion]:
    """The patient's infusions started in [since, until), oldest first, with their vitals, rate changes and
    reports with symptoms and current assessment (``current_assessments``) (and, if asked, their follow-ups),
    each in time order: a constant number of queries whatever the history. For the printable summary and the
    patient's own data export."""
    infusions = Infusion.objects.filter(patient=patient)
    if since is not None:
        infusions = infusions.filter(started_at__gte=since)
    if until is not None:
        infusions = infusions.filter(started_at__lt=until)
    # Who gave each report and answered each follow-up (the patient, a caregiver, staff) comes with them.
    reports = (
        ReactionReport.objects.select_related("entered_by")
        .order_by("created_at", "pk")
        .prefetch_related(
            Prefetch("symptoms", queryset=ReportedSymptom.objects.order_by("pk")), current_assessment_prefetch()
        )
    )
    lookups = [
        Prefetch("vitals", queryset=Vitals.objects.order_by("recorded_at", "pk")),
        Prefetch("rate_changes", queryset=RateChange.objects.order_by("changed_at", "pk")),
        Prefetch("reports", queryset=reports),
    ]
    if followups:
        followup_rows = FollowUp.objects.select_related("answered_by", "report__entered_by").order_by("due_at", "pk")
        lookups.append(Prefetch("followups", queryset=followup_rows))
    return list(infusions.order_by("started_at", "pk").prefetch_related(*lookups))
