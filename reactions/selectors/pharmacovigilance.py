"""Clinicians' assessments of reported events: the current one of each report, and the history of one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet, prefetch_related_objects

from reactions.models import EventAssessment, ReactionReport

# Where every page and export finds a report's current assessment: a list of zero or one.
CURRENT_ATTR = "current_assessments"


def current_assessments() -> QuerySet[EventAssessment]:
    return EventAssessment.objects.filter(superseded_at__isnull=True).select_related("recorded_by")


def current_assessment_prefetch(lookup: str = "assessments") -> Prefetch:
    """Prefetch(lookup) of the current assessment onto each report's ``current_assessments``.

    ``lookup`` is the path to a report's assessments from the rows queried, e.g. "report__assessments"."""
    return Prefetch(lookup, queryset=current_assessments(), to_attr=CURRENT_ATTR)


def attach_current_assessments(reports: Sequence[ReactionReport]) -> None:
    """Set ``current_assessments`` on each report, in one query (none without reports)."""
    if reports:
        prefetch_related_objects(list(reports), current_assessment_prefetch())


def current_assessment(report: ReactionReport) -> EventAssessment | None:
    """The report's current assessment, as loaded by one of the above (never a query)."""
    loaded = getattr(report, CURRENT_ATTR, None) or []
    return loaded[0] if loaded else None


@dataclass(frozen=True)
class AssessmentPage:
    report: ReactionReport
    current: EventAssessment | None
    history: list[EventAssessment]


def report_assessment_page(*, report: ReactionReport) -> AssessmentPage:
    """A report's assessments, newest first, with who recorded each (two queries with its symptoms)."""
    history = list(report.assessments.select_related("recorded_by"))
    current = next((a for a in history if a.is_current), None)
    setattr(report, CURRENT_ATTR, [current] if current else [])
    prefetch_related_objects([report], "symptoms")
    return AssessmentPage(report=report, current=current, history=history)
