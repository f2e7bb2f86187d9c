"""Messages about a patient's follow-up, to the patient and their caregivers, on each recipient's channels:
one outbox row per recipient and channel.

Every copy of one message (a prompt, its reminder, the day-before reminder) belongs to the same FollowUp,
so an answer from any copy answers the prompt and cancels the copies still pending. E-mail is the
fallback: a copy refused for good on another channel is sent again by e-mail, unless an e-mail copy of
that message already exists.
"""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone, translation

from reactions.channels import Channel, channels_for, sender_for
from reactions.emails import email_language
from reactions.models import FollowUp, OutboundEmail, User
from reactions.selectors.caregivers import prompt_recipients
from reactions.services.links import ShortLinkKind, checkin_links, followup_links, short_url
from reactions.services.outbox import email_build

Kind = OutboundEmail.Kind

# Each patient message: its template name (templates/emails/<name>-*, templates/<channel>/<name>.txt).
TEMPLATES = {
    Kind.FOLLOWUP_PROMPT: "followup-prompt",
    Kind.FOLLOWUP_REMINDER: "followup-reminder",
    Kind.PRE_INFUSION: "pre-infusion",
}


def _context(kind: str, followup: FollowUp, recipient: User) -> dict[str, Any]:
    patient = followup.patient
    context: dict[str, Any] = {
        "followup": followup,
        "infusion": followup.infusion,
        "patient": patient,
        "clinic": patient.clinic,
    }
    if kind == Kind.PRE_INFUSION:
        context.update(checkin_links(followup, recipient))
    else:
        context.update(followup_links(followup, recipient))
    return context


def _short_link(kind: str, followup: FollowUp, recipient: User) -> str:
    """The texted or pushed link of one recipient's copy: a caregiver's names them, as their e-mail's links do."""
    link_kind = ShortLinkKind.CHECKIN if kind == Kind.PRE_INFUSION else ShortLinkKind.FOLLOWUP
    recipient_id = None if recipient.pk == followup.patient_id else recipient.pk
    return short_url(kind=link_kind, pk=followup.pk, recipient_id=recipient_id)


def render_short(channel: str, template: str, context: dict[str, Any]) -> str:
    """templates/<channel>/<template>.txt in the recipient's language, on one line."""
    with translation.override(email_language(context.get("recipient"))):
        return " ".join(render_to_string(f"{channel}/{template}.txt", context, using="text").split())


def message_build(*, kind: str, followup: FollowUp, channel: str, recipient: User | None = None) -> OutboundEmail:
    """The unsaved row of one message on one channel, to the patient (by default) or one of their caregivers."""
    patient = followup.patient
    recipient = recipient or patient
    template = TEMPLATES[kind]
    if channel == Channel.EMAIL:
        return email_build(
            kind=kind,
            template=template,
            to_user=recipient,
            context=_context(kind, followup, recipient),
            followup=followup,
            clinic=patient.clinic,
        )
    link = _short_link(kind, followup, recipient)
    context = {
        "recipient": recipient,
        "clinic": patient.clinic,
        # The name the clinic chose to start its texts with: the app's own names the treatment (H-24).
        "sender": patient.clinic.message_sender_name,
        "link": link,
        "for_someone": recipient.pk != patient.pk,
    }
    return OutboundEmail(
        kind=kind,
        channel=channel,
        to_user=recipient,
        body_short=render_short(channel, template, context),
        link=link,
        due_at=timezone.now(),
        followup=followup,
        clinic=patient.clinic,
        **sender_for(channel).address(recipient),
    )


def messages_build(*, kind: str, followup: FollowUp) -> list[OutboundEmail]:
    """One unsaved row per recipient (the patient, each caregiver who gets prompts) and channel (bulk_create them)."""
    return [
        message_build(kind=kind, followup=followup, channel=channel, recipient=recipient)
        for recipient in prompt_recipients(followup.patient)
        for channel in channels_for(recipient)
    ]


def messages_queue(*, kind: str, followup: FollowUp) -> list[OutboundEmail]:
    """Store one row per channel; call inside the transaction that causes the message."""
    return OutboundEmail.objects.bulk_create(messages_build(kind=kind, followup=followup))


# A follow-up whose message is still worth sending by e-mail: a prompt not answered, a day-before reminder.
_STILL_WANTED = (FollowUp.Status.PROMPTED, FollowUp.Status.REMINDED, FollowUp.Status.NO_RESPONSE, FollowUp.Status.DONE)


def message_email_fallback(*, failed: OutboundEmail) -> OutboundEmail | None:
    """The e-mail copy of a patient message refused for good on another channel, queued at once.

    None when there is nothing to do: an e-mail copy of this message exists already (sent, pending or
    failed), the prompt was answered meanwhile, the message is not a patient message about a follow-up, or
    it was a caregiver's who no longer gets the patient's prompts.
    """
    if failed.channel == Channel.EMAIL or failed.kind not in TEMPLATES or failed.followup_id is None:
        return None
    if OutboundEmail.objects.filter(
        followup_id=failed.followup_id, kind=failed.kind, channel=Channel.EMAIL, to_user_id=failed.to_user_id
    ).exists():
        return None
    followup = FollowUp.objects.select_related("infusion", "patient__clinic").get(pk=failed.followup_id)
    if followup.status not in _STILL_WANTED:
        return None  # answered (or closed) meanwhile: no e-mail asks again
    if failed.to_user_id != followup.patient_id and failed.to_user not in prompt_recipients(followup.patient):
        return None  # a caregiver removed (or no longer getting prompts) while their text was on its way
    email = message_build(kind=failed.kind, followup=followup, channel=Channel.EMAIL, recipient=failed.to_user)
    email.save(force_insert=True)
    return email


def message_copies_alive(*, message: OutboundEmail) -> bool:
    """Another copy of this message to the same recipient (another channel) was delivered or may still be."""
    if message.followup_id is None:
        return False
    return (
        OutboundEmail.objects.filter(followup_id=message.followup_id, kind=message.kind, to_user_id=message.to_user_id)
        .exclude(pk=message.pk)
        .exclude(status__in=[OutboundEmail.Status.FAILED, OutboundEmail.Status.CANCELLED])
        .exists()
    )
