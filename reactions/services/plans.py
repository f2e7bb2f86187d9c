"""A clinician's plan for a planned infusion after a severe event, and what it does to the day-before reminder."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from reactions.models import FollowUp, Infusion, InfusionPlan, OutboundEmail, User
from reactions.services.followups import followups_sync


class PlanError(Exception):
    """A plan that cannot be recorded for this infusion."""


@transaction.atomic
def infusion_plan_record(*, infusion: Infusion, by: User, decision: str, note: str = "") -> InfusionPlan:
    """Record a plan; it becomes the current one, the previous one is kept superseded.

    "Stop" cancels the infusion's day-before reminder (and its e-mail if queued). Any other decision lets a
    reminder held for want of a plan go out at the dispatcher's next pass; after a "stop", it schedules the
    reminder again as for any planned infusion.
    """
    if decision not in InfusionPlan.Decision.values:
        raise PlanError(_("Choose a decision."))
    infusion = Infusion.objects.select_for_update(of=("self",)).select_related("patient__clinic").get(pk=infusion.pk)
    if infusion.status != Infusion.Status.PLANNED:
        raise PlanError(_("Only a planned infusion can have a plan."))
    now = timezone.now()
    previous = InfusionPlan.objects.filter(infusion=infusion, superseded_at__isnull=True).first()
    if previous is not None:
        InfusionPlan.objects.filter(pk=previous.pk).update(superseded_at=now)
    plan = InfusionPlan.objects.create(infusion=infusion, decision=decision, note=note, decided_by=by, decided_at=now)
    reminders = FollowUp.objects.filter(infusion=infusion, kind=FollowUp.Kind.PRE_INFUSION)
    if plan.is_stop:
        reminders.filter(status=FollowUp.Status.SCHEDULED).update(status=FollowUp.Status.CANCELLED, closed_at=now)
        OutboundEmail.objects.filter(followup__in=reminders, status=OutboundEmail.Status.PENDING).update(
            status=OutboundEmail.Status.CANCELLED
        )
    elif previous is not None and previous.is_stop:
        followups_sync(infusion=infusion, now=now)
    return plan
