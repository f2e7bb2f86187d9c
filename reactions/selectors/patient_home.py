"""The patient's home page: what to do next, and the upcoming infusion."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from django.db.models import (
    Case,
    Q,
    Value,
    When,
)
from django.utils import timezone

from reactions.models import (
    Infusion,
    User,
)
from reactions.selectors.plans import stopped_by_plan

# How long after an infusion the home page keeps asking "how are you since…?":
# the last follow-up is at +7 days, and venous clots can appear up to two weeks.
HOW_ARE_YOU_WINDOW = timedelta(days=14)


class NextAction(StrEnum):
    CONFIRM_PLANNED = "confirm_planned"  # a planned infusion's time has come: was it given?
    HOW_ARE_YOU = "how_are_you"  # an infusion ended recently: any symptoms?
    LOG_INFUSION = "log_infusion"  # nothing pending


@dataclass(frozen=True)
class PatientAction:
    kind: NextAction
    infusion: Infusion | None = None


def patient_next_action(*, patient: User) -> PatientAction:
    """The one most useful thing for the patient to do now, for the top of the home page.

    Its infusion, like the upcoming one, says whether a clinician's plan stopped it (``stopped``)."""
    now = timezone.now()
    local_today_end = timezone.localtime(now, patient.tzinfo).replace(hour=23, minute=59, second=59)
    # One query: the latest planned infusion whose day has come wins over the latest recent given one.
    due_planned = Q(status=Infusion.Status.PLANNED, started_at__lte=local_today_end)
    recent_given = Q(status=Infusion.Status.GIVEN, started_at__gte=now - HOW_ARE_YOU_WINDOW)
    infusion = (
        Infusion.objects.filter(due_planned | recent_given, patient=patient)
        .annotate(
            rank=Case(When(status=Infusion.Status.PLANNED, then=Value(0)), default=Value(1)),
            stopped=stopped_by_plan(),
        )
        .order_by("rank", "-started_at")
        .first()
    )
    if infusion is None:
        return PatientAction(NextAction.LOG_INFUSION)
    if infusion.status == Infusion.Status.PLANNED:
        return PatientAction(NextAction.CONFIRM_PLANNED, infusion)
    return PatientAction(NextAction.HOW_ARE_YOU, infusion)


def patient_upcoming_infusion(*, patient: User) -> Infusion | None:
    return (
        Infusion.objects.filter(patient=patient, status=Infusion.Status.PLANNED, started_at__gt=timezone.now())
        .annotate(stopped=stopped_by_plan())
        .order_by("started_at")
        .first()
    )
