"""The three tiers of triage, the patient's care answer, and what one rule of the table looks like.

Pure Python, no database. The table itself is reactions/domain/rules.py; reactions/domain/triage.py
applies it to a report.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _

from reactions.domain import catalogue
from reactions.domain.catalogue import Grade, StrOrPromise


class Tier(TextChoices):
    """How soon someone must act, most urgent first. Compare with ``rank``, never as strings."""

    EMERGENCY = "emergency", _("Emergency")
    URGENT = "urgent", _("Urgent, today")
    ROUTINE = "routine", _("Routine")

    @property
    def rank(self) -> int:
        return tier_rank(self)


_TIER_RANK: dict[str, int] = {Tier.ROUTINE: 0, Tier.URGENT: 1, Tier.EMERGENCY: 2}


def tier_rank(tier: str) -> int:
    """Higher is more urgent: emergency 2, urgent 1, routine 0. KeyError for an unknown tier."""
    return _TIER_RANK[tier]


def most_urgent(tiers: Iterable[str]) -> Tier:
    """The most urgent of these tiers; routine when there are none."""
    return Tier(max(tiers, key=tier_rank, default=Tier.ROUTINE))


class Care(TextChoices):
    """The patient's answer to "Did you need medical care?"."""

    NOT_ANSWERED = "", _("Not answered")
    NONE = "none", _("No")
    GP_CLINIC = "gp_clinic", _("GP or clinic")
    URGENT_CARE = "urgent_care", _("Urgent care or A&E")
    ADMITTED = "admitted", _("Admitted to hospital")


def is_serious(care: str) -> bool:
    """Whether this answer alone makes the event *serious* in the ICH E2A sense [18].

    Only admission: E2A's criterion is "requires inpatient hospitalisation or prolongation of existing
    hospitalisation". A visit to urgent care or A&E without admission is not serious by that criterion
    alone (a clinician may still judge the event medically important). ValueError for an unknown answer.
    """
    return Care(care) is Care.ADMITTED


GRADE_RANK: dict[str, int] = {grade: rank for rank, grade in enumerate(Grade.values)}  # mild 0 .. very severe 3

ANY_SYMPTOM = "*"  # in Rule.any_of: any code of the catalogue, mild or warning sign


@dataclass(frozen=True, slots=True)
class Rule:
    """One line of the table. A symptom rule fires when a code of ``any_of`` is reported at
    ``min_grade`` or worse and, if ``with_any_of`` is set, a different code of it at ``with_min_grade``
    or worse; a care rule when the care answer is one of ``care``; the notes rule when the free text
    names a warning sign."""

    id: str
    tier: Tier
    summary: StrOrPromise  # for clinicians and clinic admins: what fired and why it matters
    source: str  # numbered references of docs/clinical-facts.md, or "local" for the clinic's own policy
    any_of: tuple[str, ...] = ()
    min_grade: Grade = Grade.MILD
    with_any_of: tuple[str, ...] = ()
    with_min_grade: Grade = Grade.MILD
    care: tuple[Care, ...] = ()
    notes: bool = False

    def codes(self) -> tuple[str, ...]:
        """Every catalogue code this rule reads (ANY_SYMPTOM stands for all)."""
        return self.any_of + self.with_any_of

    def match(self, grades: Mapping[str, str], *, care: Care, notes_matches: tuple[str, ...]) -> tuple[str, ...] | None:
        """None when the rule does not fire; else the reported codes that made it fire (maybe none)."""
        if self.notes:
            return () if notes_matches else None
        if self.care:
            return () if care in self.care else None
        first = {
            code
            for code, grade in grades.items()
            if (ANY_SYMPTOM in self.any_of or code in self.any_of) and GRADE_RANK[grade] >= GRADE_RANK[self.min_grade]
        }
        if not first:
            return None
        if not self.with_any_of:
            return catalogue.in_catalogue_order(first)
        second = {
            code
            for code, grade in grades.items()
            if code in self.with_any_of and GRADE_RANK[grade] >= GRADE_RANK[self.with_min_grade]
        }
        # Two different symptoms: one symptom cannot be its own companion.
        pairs = {(a, b) for a in first for b in second if a != b}
        if not pairs:
            return None
        return catalogue.in_catalogue_order({code for pair in pairs for code in pair})
