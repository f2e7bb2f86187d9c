"""Follow-up rows: created, moved or cancelled with their infusion, and answered."""

from __future__ import annotations

import logging
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

# Refused links and other security-relevant events, for operators to alert on.
security_logger = logging.getLogger("reactions.security")


# A prompt whose time passed more than this long ago when the infusion was logged is
# not created: a patient logging last week's infusion is not sent a burst of stale prompts.
FOLLOWUP_LATE_GRACE = timedelta(hours=1)


OPEN_PROMPT_STATUSES = (FollowUp.Status.PROMPTED, FollowUp.Status.REMINDED, FollowUp.Status.NO_RESPONSE)


def followups_sync(*, infusion: Infusion, now: datetime | None = None) -> None:
    """Make the infusion's unsent follow-ups match it: create, move or cancel them.

    Called in the same transaction as every change to an infusion. Messages already
    sent are history and are left alone.
    """
    now = now or timezone.now()
    clinic = infusion.patient.clinic
    tz = infusion.patient.tzinfo
    quiet = (clinic.quiet_hours_start, clinic.quiet_hours_end)
    existing = {fu.offset_hours: fu for fu in infusion.followups.filter(kind=FollowUp.Kind.PROMPT)}
    wanted: dict[int, datetime] = {}
    if infusion.status == Infusion.Status.GIVEN and infusion.ended_at is not None:
        for hours, due in schedule.followup_due_times(
            ended_at=infusion.ended_at,
            offsets_hours=clinic.followup_offsets_hours,
            tz=tz,
            quiet_start=quiet[0],
            quiet_end=quiet[1],
        ):
            if due >= now - FOLLOWUP_LATE_GRACE:
                wanted[hours] = due
    for hours, due in wanted.items():
        followup = existing.pop(hours, None)
        if followup is None:
            FollowUp.objects.create(
                infusion=infusion, patient=infusion.patient, kind=FollowUp.Kind.PROMPT, offset_hours=hours, due_at=due
            )
        elif followup.status in (FollowUp.Status.SCHEDULED, FollowUp.Status.CANCELLED):
            FollowUp.objects.filter(pk=followup.pk, status=followup.status).update(
                status=FollowUp.Status.SCHEDULED, due_at=due, closed_at=None
            )
    _followups_cancel(pk__in=[fu.pk for fu in existing.values()], now=now)

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
