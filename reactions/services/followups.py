"""Follow-up rows: created, moved or cancelled with their infusion, and answered."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from reactions.domain import schedule
from reactions.models import (
    FollowUp,
    Infusion,
    OutboundEmail,
    ReactionReport,
    User,
)
from reactions.models import followups as followup_models
from reactions.selectors.followup_plan import followup_plans

# Refused links and other security-relevant events, for operators to alert on.
security_logger = logging.getLogger("reactions.security")


# A prompt whose time passed more than this long ago when the infusion was logged is
# not created: a patient logging last week's infusion is not sent a burst of stale prompts.
FOLLOWUP_LATE_GRACE = timedelta(hours=1)


OPEN_PROMPT_STATUSES = followup_models.OPEN_PROMPT_STATUSES


def followups_sync(*, infusion: Infusion, now: datetime | None = None) -> None:
    """Make the infusion's unsent follow-ups, and those of its course, match it: create, move or cancel them.

    Called in the same transaction as every change to an infusion. A course is recomputed whole: logging
    day 2 moves day 1's later prompts to after day 2; deleting or moving day 2 gives them back. Messages
    already sent are history and are left alone.
    """
    now = now or timezone.now()
    followups_sync_patient(patient=infusion.patient, now=now, include=[infusion.pk])
    _pre_infusion_sync(infusion=infusion, now=now)


def followups_sync_patient(*, patient: User, now: datetime | None = None, include: Iterable[int] = ()) -> None:
    """Every prompt of the patient that can still change, recomputed: after an infusion is deleted, a risk
    factor or a rate changes. `include` adds infusions whose rows must be checked even if no longer given."""
    now = now or timezone.now()
    clinic = patient.clinic
    tz = patient.tzinfo
    plans = followup_plans(patient=patient, now=now, include=include)
    # Infusions that still hold scheduled prompts but no longer want them (made planned, or no longer given).
    holding = set(
        FollowUp.objects.filter(
            patient=patient, kind=FollowUp.Kind.PROMPT, status=FollowUp.Status.SCHEDULED
        ).values_list("infusion_id", flat=True)
    )
    ended = dict(Infusion.objects.filter(pk__in=set(plans) | holding | set(include)).values_list("pk", "ended_at"))
    existing_by_infusion: dict[int, dict[int, FollowUp]] = {pk: {} for pk in ended}
    for fu in FollowUp.objects.filter(infusion_id__in=list(ended), kind=FollowUp.Kind.PROMPT):
        existing_by_infusion[fu.infusion_id][fu.offset_hours] = fu
    for infusion_id, ended_at in ended.items():
        plan = plans.get(infusion_id)
        wanted: dict[int, datetime] = {}
        if plan is not None and plan.offsets and ended_at is not None:
            wanted = dict(
                schedule.followup_due_times(
                    ended_at=ended_at,
                    offsets_hours=plan.offsets,
                    tz=tz,
                    quiet_start=clinic.quiet_hours_start,
                    quiet_end=clinic.quiet_hours_end,
                    early_window_exempt=clinic.quiet_hours_spare_early_window,
                )
            )
        _prompts_match(
            infusion_id=infusion_id,
            patient=patient,
            existing=existing_by_infusion[infusion_id],
            wanted=wanted,
            now=now,
        )


def _prompts_match(
    *, infusion_id: int, patient: User, existing: dict[int, FollowUp], wanted: dict[int, datetime], now: datetime
) -> None:
    """Create, move or cancel one infusion's prompt rows so that the unsent ones are those wanted.

    A prompt long past its time is not created (or brought back): no burst of stale prompts. One already
    scheduled at an unchanged time stays, even if that time has passed (a dispatcher running late must not
    lose it because another infusion of the patient changed).
    """
    for hours, due in wanted.items():
        followup = existing.pop(hours, None)
        fresh = due >= now - FOLLOWUP_LATE_GRACE
        if followup is None:
            if fresh:
                FollowUp.objects.create(
                    infusion_id=infusion_id, patient=patient, kind=FollowUp.Kind.PROMPT, offset_hours=hours, due_at=due
                )
        elif followup.status == FollowUp.Status.SCHEDULED and followup.due_at == due:
            continue  # unchanged: kept, however late the dispatcher is
        elif followup.status in (FollowUp.Status.SCHEDULED, FollowUp.Status.CANCELLED) and fresh:
            FollowUp.objects.filter(pk=followup.pk, status=followup.status).update(
                status=FollowUp.Status.SCHEDULED, due_at=due, closed_at=None
            )
        elif followup.status == FollowUp.Status.SCHEDULED:
            existing[hours] = followup  # moved into the past: cancelled below, as a stale prompt is not created
    _followups_cancel(pk__in=[fu.pk for fu in existing.values()], now=now)


def _pre_infusion_sync(*, infusion: Infusion, now: datetime) -> None:
    tz = infusion.patient.tzinfo
    clinic = infusion.patient.clinic
    quiet = (clinic.quiet_hours_start, clinic.quiet_hours_end)
    pre = infusion.followups.filter(kind=FollowUp.Kind.PRE_INFUSION).first()
    if infusion.status == Infusion.Status.PLANNED and infusion.started_at > now + timedelta(hours=2):
        due = max(
            now,
            schedule.pre_infusion_reminder_time(
                starts_at=infusion.started_at, tz=tz, quiet_start=quiet[0], quiet_end=quiet[1]
            ),
        )
        if pre is None:
            FollowUp.objects.create(
                infusion=infusion, patient=infusion.patient, kind=FollowUp.Kind.PRE_INFUSION, due_at=due
            )
        elif pre.status in (FollowUp.Status.SCHEDULED, FollowUp.Status.CANCELLED):
            FollowUp.objects.filter(pk=pre.pk, status=pre.status).update(
                status=FollowUp.Status.SCHEDULED, due_at=due, closed_at=None
            )
    elif pre is not None:
        _followups_cancel(pk=pre.pk, now=now)


def _followups_cancel(*, now: datetime, **lookup: Any) -> int:
    return FollowUp.objects.filter(status=FollowUp.Status.SCHEDULED, **lookup).update(
        status=FollowUp.Status.CANCELLED, closed_at=now
    )


def followups_answer_for_infusion(*, infusion: Infusion, report: ReactionReport, now: datetime) -> int:
    """A report made in the app answers the infusion's open prompts; their pending reminders are dropped."""
    open_ids = list(
        FollowUp.objects.filter(
            infusion=infusion, kind=FollowUp.Kind.PROMPT, status__in=OPEN_PROMPT_STATUSES
        ).values_list("pk", flat=True)
    )
    if not open_ids:
        return 0
    OutboundEmail.objects.filter(followup_id__in=open_ids, status=OutboundEmail.Status.PENDING).update(
        status=OutboundEmail.Status.CANCELLED
    )
    return FollowUp.objects.filter(pk__in=open_ids, status__in=OPEN_PROMPT_STATUSES).update(
        status=FollowUp.Status.ANSWERED,
        answer=FollowUp.Answer.REPORTED,
        answered_at=now,
        report=report,
        answered_by=report.entered_by,
    )


def followup_answer(
    *, followup: FollowUp, answer: str, report: ReactionReport | None = None, answered_by: User | None = None
) -> bool:
    """Record the answer once: the patient's, or a caregiver's for them (answered_by). False if it was answered
    already (or never sent)."""
    now = timezone.now()
    with transaction.atomic():
        updated = FollowUp.objects.filter(pk=followup.pk, status__in=OPEN_PROMPT_STATUSES).update(
            status=FollowUp.Status.ANSWERED, answer=answer, answered_at=now, report=report, answered_by=answered_by
        )
        if updated:
            OutboundEmail.objects.filter(followup=followup, status=OutboundEmail.Status.PENDING).update(
                status=OutboundEmail.Status.CANCELLED
            )
        else:
            security_logger.info(
                "Refused follow-up link: follow-up %s already answered or closed (replay)", followup.pk
            )
    followup.refresh_from_db()
    return bool(updated)
