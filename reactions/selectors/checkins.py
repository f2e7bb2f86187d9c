"""What clinicians see of each planned infusion's day-before check-in (reactions/domain/checkin.py).

``attach_checkins`` sets, on each planned infusion, its check-in row (``checkin``), its state
(``checkin_state``) and whether to check before infusing (``check_before_infusing``), in one query for them
all. ``clinic_checks_needed`` lists a clinic's coming infusions to check (the triage queue's list), with the
query form of the same rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from reactions.domain.checkin import CHANGED, CheckInState, check_before_infusing, checkin_state
from reactions.models import Clinic, FollowUp, Infusion


def _is_due(followup: FollowUp, now: datetime) -> bool:
    return followup.status != FollowUp.Status.CANCELLED and followup.due_at <= now


def state_of(followup: FollowUp | None, *, now: datetime | None = None) -> CheckInState:
    if followup is None:
        return CheckInState.NOT_DUE
    return checkin_state(answer=followup.answer, due=_is_due(followup, now or timezone.now()))


def attach_checkins(infusions: Iterable[Infusion], *, now: datetime | None = None) -> None:
    """Set ``checkin``, ``checkin_state`` and ``check_before_infusing`` on each infusion (none for a given one);
    one query for the planned ones, none when none is planned."""
    now = now or timezone.now()
    infusions = list(infusions)
    planned = [i.pk for i in infusions if i.status == Infusion.Status.PLANNED]
    rows: dict[int, FollowUp] = {}
    if planned:
        rows = {
            f.infusion_id: f for f in FollowUp.objects.filter(infusion_id__in=planned, kind=FollowUp.Kind.PRE_INFUSION)
        }
    for infusion in infusions:
        followup = rows.get(infusion.pk) if infusion.status == Infusion.Status.PLANNED else None
        infusion.checkin = followup
        infusion.checkin_state = state_of(followup, now=now)
        infusion.check_before_infusing = check_before_infusing(infusion.checkin_state)


def needs_check(now: datetime) -> Q:
    """On FollowUp: the check-ins that make their infusion "check before infusing" (the query form of
    domain.checkin.check_before_infusing: changed, or due and not answered)."""
    due_unanswered = Q(answer="", due_at__lte=now) & ~Q(status=FollowUp.Status.CANCELLED)
    return Q(kind=FollowUp.Kind.PRE_INFUSION) & (Q(answer=CHANGED) | due_unanswered)


def clinic_checks_needed(*, clinic: Clinic, now: datetime | None = None) -> list[Infusion]:
    """The clinic's planned infusions not yet started whose check-in says to check first, soonest first."""
    now = now or timezone.now()
    flagged = FollowUp.objects.filter(needs_check(now), infusion=OuterRef("pk"))
    infusions = list(
        Infusion.objects.filter(patient__clinic=clinic, status=Infusion.Status.PLANNED, started_at__gt=now)
        .filter(Exists(flagged))
        .select_related("patient")
        .order_by("started_at", "pk")
    )
    attach_checkins(infusions, now=now)
    return infusions
