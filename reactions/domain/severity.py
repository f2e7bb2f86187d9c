"""Report levels: how a report is classed for clinicians and exports.

Pure Python, no database. The triage rule table (reactions/domain/triage.py) decides what a report
raises: an emergency or urgent report is a *severe event*, a common symptom graded severe or worse
needs a *review*; a clinician may reclassify either.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _


class ReportLevel(TextChoices):
    """How a report is classed: from the patient's answers, or as a clinician reclassified it.

    Declared from the most to the least severe.
    """

    SEVERE = "severe", _("Severe event")
    REVIEW = "review", _("Needs review")
    MILD = "mild", _("Mild / expected")


def report_level(*, is_severe: bool, needs_review: bool) -> ReportLevel:
    """The level of a report from what its assessment raised: a severe event outranks a review flag."""
    if is_severe:
        return ReportLevel.SEVERE
    return ReportLevel.REVIEW if needs_review else ReportLevel.MILD


def most_severe(levels: Iterable[str]) -> ReportLevel | None:
    """The most severe of these levels; None for none."""
    found = {ReportLevel(level) for level in levels}
    return next((level for level in ReportLevel if level in found), None)
