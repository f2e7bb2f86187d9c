"""Severity rules: the one place that decides what a reaction report raises.

Pure Python, no database (docs/clinical-facts.md §2):
- any warning sign of a severe reaction -> a *severe event* (whatever the grade:
  a patient may under-grade a sign that needs urgent care);
- a mild symptom graded severe or very severe -> a *review flag*.
A report can raise both; the severe event is what the patient is told about.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _

from reactions.domain import catalogue
from reactions.domain.catalogue import HIGH_GRADES, SevereType


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


@dataclass(frozen=True)
class Assessment:
    warning_signs: tuple[str, ...] = ()
    severe_types: tuple[SevereType, ...] = ()
    high_grade_mild: tuple[str, ...] = field(default=())

    @property
    def is_severe_event(self) -> bool:
        return bool(self.warning_signs)

    @property
    def needs_review(self) -> bool:
        return bool(self.high_grade_mild)


def assess(symptoms: Iterable[tuple[str, str]]) -> Assessment:
    """Classify a report from its (symptom code, grade) pairs.

    Unknown codes raise KeyError: a report is validated against the catalogue
    before it gets here, and silently ignoring a symptom would be unsafe.
    """
    warning_signs: list[str] = []
    severe_types: list[SevereType] = []
    high_grade_mild: list[str] = []
    for code, grade in symptoms:
        symptom = catalogue.get(code)
        if symptom.is_warning_sign:
            warning_signs.append(code)
            if symptom.severe_type not in severe_types:
                severe_types.append(symptom.severe_type)
        elif grade in HIGH_GRADES:
            high_grade_mild.append(code)
    return Assessment(
        warning_signs=tuple(warning_signs),
        severe_types=tuple(severe_types),
        high_grade_mild=tuple(high_grade_mild),
    )
