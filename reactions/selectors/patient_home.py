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
    FollowUp,
    Infusion,
    User,
)
from reactions.selectors.plans import reminder_holds, stopped_by_plan
from reactions.services.checkins import ANSWERABLE_STATUSES

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


def patient_checkin_due(*, patient: User) -> FollowUp | None:
    """The day-before check-in to show on the home page: due, not yet answered, its infusion still to come.

    Not while the e-mail is held for a clinician's plan, nor after a plan stopped the infusion: the patient is
    not asked "ready for tomorrow?" before anyone has decided (reactions/engine/dispatcher.py holds it too).
    """
    now = timezone.now()
    followup = (
        FollowUp.objects.filter(
            patient=patient,
            kind=FollowUp.Kind.PRE_INFUSION,
            status__in=ANSWERABLE_STATUSES,
            answer="",
            due_at__lte=now,
            infusion__status=Infusion.Status.PLANNED,
            infusion__started_at__gt=now,
        )
        .select_related("infusion")
        .order_by("infusion__started_at", "pk")
        .first()
    )
    if followup is None:
        return None
    holds = reminder_holds(infusion_ids=[followup.infusion_id])
    if followup.infusion_id in holds.plan_needed | holds.stopped:
        return None
    return followup
