"""A patient's timeline for clinicians: infusions with everything around them, a page at a time."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import (
    Exists,
    OuterRef,
    Prefetch,
    prefetch_related_objects,
)

from reactions.models import (
    EventAssessment,
    Flag,
    FlagEvent,
    FollowUp,
    Infusion,
    RateChange,
    ReactionReport,
    ReportReclassification,
    User,
    Vitals,
)
from reactions.selectors.checkins import attach_checkins
from reactions.selectors.pharmacovigilance import current_assessment_prefetch
from reactions.selectors.plans import attach_plan_states
from reactions.selectors.prefetch import _prefetch_where, attach_symptoms


def patient_timeline(*, patient: User):
    """The patient's infusions, newest first, to be paged; load a page's details with timeline_details().

    Each infusion carries whether it has vitals and rate changes at all (``has_vitals``,
    ``has_rate_changes``), so that a page of home infusions, which have neither, does not ask.
    """
    return Infusion.objects.filter(patient=patient).annotate(
        has_vitals=Exists(Vitals.objects.filter(infusion=OuterRef("pk"))),
        has_rate_changes=Exists(RateChange.objects.filter(infusion=OuterRef("pk"))),
    )


def timeline_details(infusions: Iterable[Infusion]) -> list[Infusion]:
    """Everything that happened around these infusions, as plain lists, in a bounded number of queries.

    Sets ``vitals_list``, ``rate_change_list``, ``sent_prompts`` (prompts that went out, not the scheduled
    or cancelled ones) and ``report_list`` on each infusion, and ``symptom_list``,
    ``reclassification_list``, ``flag_list`` (each flag with ``shown_events``: notes and closing) and
    ``current_assessments`` on each report; on a planned infusion, its plan (selectors.plans.attach_plan_states)
    and its day-before check-in (selectors.checkins.attach_checkins).
    The relations most infusions and reports never have (vitals, rate changes,
    reclassifications, flags) are only asked for the rows an EXISTS says have some: a query that finds
    nothing costs a page more than the rows it would have returned.
    """
    infusions = list(infusions)
    reports = ReactionReport.objects.annotate(
        has_reclassifications=Exists(ReportReclassification.objects.filter(report=OuterRef("pk"))),
        has_flags=Exists(Flag.objects.filter(report=OuterRef("pk"))),
        has_assessments=Exists(EventAssessment.objects.filter(report=OuterRef("pk"))),
    ).select_related("entered_by")
    prefetch_related_objects(
        infusions,
        Prefetch("reports", queryset=reports, to_attr="report_list"),
        # Only what a prompt's line shows: a follow-up has eight date-times, each parsed in Python.
        Prefetch(
            "followups",
            queryset=FollowUp.objects.filter(kind=FollowUp.Kind.PROMPT)
            .exclude(status__in=[FollowUp.Status.SCHEDULED, FollowUp.Status.CANCELLED])
            .order_by("due_at")
            .only("infusion_id", "offset_hours", "status", "answer", "answered_at"),
            to_attr="sent_prompts",
        ),
    )
    _prefetch_where(infusions, "has_vitals", Prefetch("vitals", queryset=Vitals.objects.all(), to_attr="vitals_list"))
    _prefetch_where(
        infusions,
        "has_rate_changes",
        Prefetch("rate_changes", queryset=RateChange.objects.all(), to_attr="rate_change_list"),
    )
    all_reports = [report for infusion in infusions for report in infusion.report_list]
    attach_symptoms(all_reports)  # as the queue and the home page do
    _prefetch_where(all_reports, "has_assessments", current_assessment_prefetch())
    attach_plan_states(infusions)
    attach_checkins(infusions)
    _prefetch_where(
        all_reports,
        "has_reclassifications",
        Prefetch(
            "reclassifications",
            queryset=ReportReclassification.objects.select_related("by"),
            to_attr="reclassification_list",
        ),
    )
    shown_events = FlagEvent.objects.filter(action__in=[FlagEvent.Action.NOTE, FlagEvent.Action.CLOSED]).select_related(
        "actor"
    )
    _prefetch_where(
        all_reports,
        "has_flags",
        Prefetch(
            "flags",
            queryset=Flag.objects.prefetch_related(Prefetch("events", queryset=shown_events, to_attr="shown_events")),
            to_attr="flag_list",
        ),
    )
    return infusions
