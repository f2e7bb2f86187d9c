"""The day-before check-in: what the patient can answer, and what clinicians are shown of it.

Pure Python, no database (docs/clinical-safety.md H-18). The rule: a planned infusion is "check before
infusing" unless its patient answered "all well". A check-in sent (or due) and not answered is not "all
well": it is shown as not answered, and the infusion as to check, like a patient who said something changed.
"""

from __future__ import annotations

from enum import StrEnum

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _


class Change(TextChoices):
    """What changed since the last infusion, as the patient picks it (any, or none)."""

    NEW_SYMPTOMS = "new_symptoms", _("New symptoms")
    INFECTION = "infection", _("An infection")
    FEVER = "fever", _("A fever")
    OTHER = "other", _("Something else")


class CheckInState(StrEnum):
    NOT_DUE = "not_due"  # not yet asked (or never will be: planned within two hours)
    ALL_WELL = "all_well"
    CHANGED = "changed"
    NOT_ANSWERED = "not_answered"


ALL_WELL = "all_well"
CHANGED = "changed"


def checkin_state(*, answer: str, due: bool) -> CheckInState:
    """The state of a check-in from its answer ("" for none) and whether it is due (its time has come)."""
    if answer == ALL_WELL:
        return CheckInState.ALL_WELL
    if answer == CHANGED:
        return CheckInState.CHANGED
    if answer:
        raise ValueError(f"not a check-in answer: {answer!r}")
    return CheckInState.NOT_ANSWERED if due else CheckInState.NOT_DUE


def check_before_infusing(state: CheckInState) -> bool:
    """Whether clinicians see the planned infusion as "check before infusing": any state but all well,
    once the check-in is due."""
    return state in (CheckInState.CHANGED, CheckInState.NOT_ANSWERED)
