"""A clinician's actions on a flag: acknowledge, contact the patient, assign, note, close, reopen, snooze."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from reactions.models import (
    Flag,
    FlagEvent,
    User,
)
from reactions.services.versions import flag_event_record


def flag_acknowledge(*, flag: Flag, by: User, note: str = "") -> bool:
    """Acknowledge an open flag. False if someone acknowledged it first (the first one wins)."""
    with transaction.atomic():
        updated = Flag.objects.filter(pk=flag.pk, status=Flag.Status.OPEN).update(
            status=Flag.Status.ACKNOWLEDGED,
            acknowledged_at=timezone.now(),
            acknowledged_by=by,
            acknowledgement_note=note,
            next_alert_at=None,  # someone has acted: no more alerts or escalations
        )
        if updated:
            flag_event_record(flag=flag, actor=by, action=FlagEvent.Action.ACKNOWLEDGED, note=note)
    flag.refresh_from_db()
    return bool(updated)


class FlagActionError(Exception):
    """An action that does not apply to this flag in its current state."""


def _flag_acknowledge_implicitly(flag: Flag, by: User, now: datetime) -> None:
    # Assigning, closing or snoozing is acting on the flag: it counts as acknowledging it.
    Flag.objects.filter(pk=flag.pk, status=Flag.Status.OPEN).update(
        status=Flag.Status.ACKNOWLEDGED, acknowledged_at=now, acknowledged_by=by, next_alert_at=None
    )


@transaction.atomic
def flag_record_contact(*, flag: Flag, by: User, note: str = "") -> FlagEvent:
    """A clinician reached the patient about this flag (a call back, usually).

    Every contact is an event of the flag's history; the flag keeps the time of the first, which the clinic's
    response times measure. Reaching the patient is acting on the flag: an open one is acknowledged, and
    its alerts stop.
    """
    if flag.status == Flag.Status.CLOSED:
        raise FlagActionError(_("This flag is closed: reopen it to record a contact."))
    flag_acknowledge(flag=flag, by=by)
    Flag.objects.filter(pk=flag.pk, contacted_at__isnull=True).update(contacted_at=timezone.now())
    event = flag_event_record(flag=flag, actor=by, action=FlagEvent.Action.CONTACTED, note=note)
    flag.refresh_from_db()
    return event


@transaction.atomic
def flag_assign(*, flag: Flag, by: User, assignee: User) -> None:
    if assignee.clinic_id != flag.clinic_id or not assignee.is_clinic_staff:
        raise FlagActionError(_("Assign only to a clinician of the same clinic."))
    now = timezone.now()
    _flag_acknowledge_implicitly(flag, by, now)
    Flag.objects.filter(pk=flag.pk).update(assigned_to=assignee)
    flag_event_record(flag=flag, actor=by, action=FlagEvent.Action.ASSIGNED, note=f"Assigned to {assignee}")
    flag.refresh_from_db()


def flag_add_note(*, flag: Flag, by: User, note: str) -> FlagEvent:
    return flag_event_record(flag=flag, actor=by, action=FlagEvent.Action.NOTE, note=note)


@transaction.atomic
def flag_close(*, flag: Flag, by: User, outcome: str, note: str = "") -> None:
    """Record the outcome: the flag leaves the queue and stays on the patient's timeline."""
    if outcome not in Flag.Outcome.values:
        raise FlagActionError(_("Choose an outcome."))
    now = timezone.now()
    _flag_acknowledge_implicitly(flag, by, now)
    if (
        not Flag.objects.filter(pk=flag.pk)
        .exclude(status=Flag.Status.CLOSED)
        .update(
            status=Flag.Status.CLOSED,
            outcome=outcome,
            closed_at=now,
            closed_by=by,
            snoozed_until=None,
            next_alert_at=None,
        )
    ):
        raise FlagActionError(_("This flag is already closed."))
    label = Flag.Outcome(outcome).label
    flag_event_record(flag=flag, actor=by, action=FlagEvent.Action.CLOSED, note=f"{label}. {note}".strip())
    flag.refresh_from_db()


@transaction.atomic
def flag_reopen(*, flag: Flag, by: User, note: str = "") -> None:
    if not Flag.objects.filter(pk=flag.pk, status=Flag.Status.CLOSED).update(
        status=Flag.Status.ACKNOWLEDGED, outcome="", closed_at=None, closed_by=None
    ):
        raise FlagActionError(_("Only a closed flag can be reopened."))
    flag_event_record(flag=flag, actor=by, action=FlagEvent.Action.REOPENED, note=note)
    flag.refresh_from_db()


@transaction.atomic
def flag_snooze(*, flag: Flag, by: User, until: datetime, reason: str) -> None:
    """Hide a review or no-response flag until a date. Severe events are never snoozed."""
    if flag.kind == Flag.Kind.SEVERE_EVENT:
        raise FlagActionError(_("A severe event cannot be snoozed."))
    if until <= timezone.now():
        raise FlagActionError(_("Snooze until a time in the future."))
    now = timezone.now()
    _flag_acknowledge_implicitly(flag, by, now)
    Flag.objects.filter(pk=flag.pk).update(snoozed_until=until, snooze_reason=reason)
    flag_event_record(
        flag=flag,
        actor=by,
        action=FlagEvent.Action.SNOOZED,
        note=f"Until {timezone.localtime(until):%d %b %Y %H:%M}: {reason}",
    )
    flag.refresh_from_db()
