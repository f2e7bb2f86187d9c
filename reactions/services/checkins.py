"""The day-before check-in's answer: "all well", or "something has changed" with what changed."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from reactions.domain.checkin import ALL_WELL, CHANGED, Change
from reactions.models import FollowUp, Infusion, OutboundEmail, User

# A check-in can be answered (or its answer changed) from its time until the infusion starts: by the
# e-mail's link once sent, and in the app whatever became of the e-mail (paused, bounced, still held).
ANSWERABLE_STATUSES = (
    FollowUp.Status.SCHEDULED,
    FollowUp.Status.DONE,
    FollowUp.Status.SKIPPED,
    FollowUp.Status.UNDELIVERABLE,
    FollowUp.Status.ANSWERED,
)


def checkin_is_answerable(*, followup: FollowUp, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return (
        followup.kind == FollowUp.Kind.PRE_INFUSION
        and followup.status in ANSWERABLE_STATUSES
        and followup.due_at <= now
        and followup.infusion.status == Infusion.Status.PLANNED
        and followup.infusion.started_at > now
    )


def checkin_answer(
    *,
    followup: FollowUp,
    answer: str,
    changes: Iterable[str] = (),
    note: str = "",
    answered_by: User | None = None,
    now: datetime | None = None,
) -> bool:
    """Record the patient's answer (or a caregiver's for them: answered_by); a later answer replaces an earlier
    one until the infusion starts.

    False (nothing recorded) when the check-in is not answerable now. An unsent e-mail for it is dropped:
    the patient has answered in the app.
    """
    if answer not in (ALL_WELL, CHANGED):
        raise ValueError(f"not a check-in answer: {answer!r}")
    now = now or timezone.now()
    picked = set(changes) if answer == CHANGED else set()
    unknown = picked - set(Change.values)
    if unknown:
        raise ValueError(f"not a check-in change: {sorted(unknown)!r}")
    with transaction.atomic():
        updated = FollowUp.objects.filter(
            pk=followup.pk,
            kind=FollowUp.Kind.PRE_INFUSION,
            status__in=ANSWERABLE_STATUSES,
            due_at__lte=now,
            infusion__status=Infusion.Status.PLANNED,
            infusion__started_at__gt=now,
        ).update(
            status=FollowUp.Status.ANSWERED,
            answer=answer,
            answered_at=now,
            answered_by=answered_by,
            closed_at=now,
            changed_new_symptoms=Change.NEW_SYMPTOMS in picked,
            changed_infection=Change.INFECTION in picked,
            changed_fever=Change.FEVER in picked,
            changed_other=Change.OTHER in picked,
            answer_note=note.strip()[:300] if answer == CHANGED else "",
        )
        if updated:
            OutboundEmail.objects.filter(followup=followup, status=OutboundEmail.Status.PENDING).update(
                status=OutboundEmail.Status.CANCELLED
            )
    followup.refresh_from_db()
    return bool(updated)
