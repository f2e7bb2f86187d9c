"""A message refused for good: who must hear, and what stops."""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from reactions.models import (
    Flag,
    FlagEvent,
    FollowUp,
    OutboundEmail,
    User,
)
from reactions.services.messages import message_copies_alive, message_email_fallback
from reactions.services.outbox import URGENT_KINDS, email_queue
from reactions.services.versions import flag_event_record

logger = logging.getLogger(__name__)


_PATIENT_MESSAGE_KINDS = (
    OutboundEmail.Kind.FOLLOWUP_PROMPT,
    OutboundEmail.Kind.FOLLOWUP_REMINDER,
    OutboundEmail.Kind.PRE_INFUSION,
)


def email_undeliverable(*, email: OutboundEmail) -> list[int]:
    """A message refused for good (or given up on): tell someone who can act.

    A prompt or reminder, on any channel: sent again by e-mail to the same person when they have no e-mail
    copy yet. Then, for the patient's own copies: left alone while another copy of it was delivered or may
    still be; otherwise (every channel failed) the follow-up is marked undeliverable and the clinic sees
    "cannot reach patient" with the reason. A caregiver's copy refused for good on every channel is only
    logged: the patient's own copies count.
    An alert to a clinician: it goes at once to the clinic's other clinicians and admins.
    Returns the ids of messages to send at once.
    """
    if email.kind in _PATIENT_MESSAGE_KINDS and email.followup_id:
        fallback = message_email_fallback(failed=email)
        if fallback is not None:
            logger.warning(
                "%s %s refused for good; its e-mail copy %s goes instead", email.channel, email.pk, fallback.pk
            )
            return [fallback.pk]
        if not FollowUp.objects.filter(pk=email.followup_id, patient_id=email.to_user_id).exists():
            logger.warning("%s %s to a caregiver refused for good", email.channel, email.pk)
            return []
        if message_copies_alive(message=email):
            logger.warning("%s %s refused for good; another copy reaches the patient", email.channel, email.pk)
            return []
        followup_undeliverable(followup_id=email.followup_id, reason=_refusal(email))
        return []
    if email.kind in URGENT_KINDS and email.flag_id:
        return flag_alert_forward(failed=email)
    logger.error(
        "Message %s (%s) to %s could not be delivered: %s", email.pk, email.kind, email.recipient, email.last_error
    )
    return []


def _refusal(email: OutboundEmail) -> str:
    if email.channel == OutboundEmail.Channel.SMS:
        return _("Text message to %(number)s could not be delivered: %(error)s") % {
            "number": email.to_phone,
            "error": email.last_error,
        }
    if email.channel != OutboundEmail.Channel.EMAIL:
        return _("%(channel)s could not be delivered: %(error)s") % {
            "channel": email.get_channel_display(),
            "error": email.last_error,
        }
    return _("E-mail to %(address)s could not be delivered: %(error)s") % {
        "address": email.to_email,
        "error": email.last_error,
    }


@transaction.atomic
def followup_undeliverable(*, followup_id: int, reason: str, now: datetime | None = None) -> Flag:
    """The patient cannot be reached for this follow-up: record it, and raise (or add to) "cannot reach patient".

    One open "cannot reach" flag per patient: later refusals are added to its history, not queued again.
    """
    now = now or timezone.now()
    followup = FollowUp.objects.select_related("patient", "infusion").get(pk=followup_id)
    FollowUp.objects.filter(
        pk=followup_id, status__in=[FollowUp.Status.PROMPTED, FollowUp.Status.REMINDED, FollowUp.Status.DONE]
    ).update(status=FollowUp.Status.UNDELIVERABLE, closed_at=now)
    OutboundEmail.objects.filter(followup_id=followup_id, status=OutboundEmail.Status.PENDING).update(
        status=OutboundEmail.Status.CANCELLED
    )
    patient = followup.patient
    what = (
        _("the day-before reminder")
        if followup.kind == FollowUp.Kind.PRE_INFUSION
        else _("the +%(hours)s h follow-up prompt") % {"hours": followup.offset_hours}
    )
    note = f"{what}: {reason}"
    flag = (
        Flag.objects.select_for_update()
        .filter(patient=patient, kind=Flag.Kind.UNREACHABLE)
        .exclude(status=Flag.Status.CLOSED)
        .first()
    )
    if flag is None:
        flag = Flag.objects.create(
            clinic_id=patient.clinic_id,
            patient=patient,
            followup=followup,
            kind=Flag.Kind.UNREACHABLE,
            reason=reason[:500],
            created_at=now,
        )
    flag_event_record(flag=flag, actor=None, action=FlagEvent.Action.NOTE, note=note[:4000])
    logger.error("Cannot reach patient %s: follow-up %s undeliverable (%s)", patient.pk, followup_id, reason)
    return flag


@transaction.atomic
def flag_alert_forward(*, failed: OutboundEmail) -> list[int]:
    """An alert that could not reach one clinician goes at once to the clinic's other clinicians and admins.

    Those already sent this round of the alert are not sent it twice. Returns the queued e-mails' ids.
    """
    flag = Flag.objects.select_related("clinic", "patient").get(pk=failed.flag_id)
    clinic = flag.clinic
    round_started = failed.created_at
    already = set(
        OutboundEmail.objects.filter(flag=flag, kind__in=URGENT_KINDS, created_at__gte=round_started)
        .exclude(status__in=[OutboundEmail.Status.FAILED, OutboundEmail.Status.CANCELLED])
        .values_list("to_user_id", flat=True)
    )
    staff = (
        User.objects.filter(clinic=clinic, role__in=[User.Role.CLINICIAN, User.Role.CLINIC_ADMIN], is_active=True)
        .exclude(pk=failed.to_user_id)
        .exclude(pk__in=[pk for pk in already if pk])
        .order_by("pk")
    )
    note = _("The alert to %(address)s could not be delivered (%(error)s); sent to the clinic's other staff.") % {
        "address": failed.to_email,
        "error": failed.last_error,
    }
    flag_event_record(flag=flag, actor=None, action=FlagEvent.Action.NOTE, note=note[:4000])
    url = settings.SITE_URL + reverse("flag_detail", args=[flag.pk])
    escalation = flag.alerts_sent > 1
    ids = []
    for recipient in staff:
        ids.append(
            email_queue(
                kind=OutboundEmail.Kind.ESCALATION if escalation else OutboundEmail.Kind.SEVERE_ALERT,
                template="severe-alert",
                to_user=recipient,
                flag=flag,
                clinic=clinic,
                context={
                    "flag": flag,
                    "patient": flag.patient,
                    "clinic": clinic,
                    "url": url,
                    "escalation": escalation,
                    "round": flag.alerts_sent,
                    "forwarded": True,
                },
            ).pk
        )
    if not ids:
        logger.error(
            "Severe event %s: the alert to %s bounced and no other staff of clinic %s can be alerted",
            flag.pk,
            failed.to_email,
            clinic.pk,
        )
    return ids
