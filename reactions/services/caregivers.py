"""Caregivers: a patient invites one by e-mail, the caregiver accepts, either of them ends it."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from reactions import jobs
from reactions.models import CaregiverInvitation, CareLink, OutboundEmail, User
from reactions.services.links import InvitationError, InvitationProblem, caregiver_invitation_url
from reactions.services.outbox import email_queue


class CaregiverError(Exception):
    """An invitation the account cannot take (a patient's or clinic staff's address), said to the invitee."""


def caregiver_invite(*, patient: User, email: str, full_name: str) -> CaregiverInvitation:
    """Create the invitation and its e-mail, sent within seconds of the commit (and retried like any other).

    The e-mail names the patient by their first name only, and its subject names nobody and no health fact:
    a subject is read on lock screens and by anyone sharing the inbox.
    """
    with transaction.atomic():
        invitation = CaregiverInvitation.objects.create(
            patient=patient, email=email.strip().lower(), full_name=full_name.strip(), nonce=secrets.token_hex(16)
        )
        queued = email_queue(
            kind=OutboundEmail.Kind.CAREGIVER_INVITATION,
            template="caregiver-invitation",
            to_email=invitation.email,
            clinic=patient.clinic,
            context={
                "invitation": invitation,
                "inviter_name": patient.get_short_name(),
                "url": caregiver_invitation_url(invitation=invitation),
                "valid_days": settings.INVITATION_MAX_AGE // 86400,
            },
        )
    jobs.enqueue_on_commit(jobs.DELIVER_EMAILS, [queued.pk])
    return invitation


def caregiver_invitation_withdraw(*, invitation: CaregiverInvitation) -> bool:
    """The patient takes back an invitation not yet accepted: its link stops working."""
    return bool(
        CaregiverInvitation.objects.filter(
            pk=invitation.pk, accepted_at__isnull=True, withdrawn_at__isnull=True
        ).update(withdrawn_at=timezone.now())
    )


def _claim(invitation: CaregiverInvitation) -> None:
    """Mark the invitation used; the conditional update makes the link single-use even under a double submit."""
    claimed = CaregiverInvitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True, withdrawn_at__isnull=True
    ).update(accepted_at=timezone.now())
    if not claimed:
        raise InvitationError(InvitationProblem.USED)


def _link(invitation: CaregiverInvitation, caregiver: User) -> CareLink:
    patient = invitation.patient
    existing = CareLink.objects.active().filter(patient=patient, caregiver=caregiver).first()
    if existing is not None:  # invited twice: one link
        link = existing
    else:
        try:
            with transaction.atomic():
                link = CareLink.objects.create(patient=patient, caregiver=caregiver, invited_by=patient)
        except IntegrityError:  # a concurrent acceptance of a second invitation made it first
            link = CareLink.objects.active().get(patient=patient, caregiver=caregiver)
    CaregiverInvitation.objects.filter(pk=invitation.pk).update(link=link)
    return link


@transaction.atomic
def caregiver_accept_new(*, invitation: CaregiverInvitation, full_name: str, password: str) -> CareLink:
    """Create the caregiver's own account (in the patient's time zone and language) and its link."""
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise InvitationError(InvitationProblem.USED)  # the address has an account: sign in to accept
    _claim(invitation)
    patient = invitation.patient
    caregiver = User.objects.create_user(
        email=invitation.email,
        password=password,
        full_name=full_name.strip(),
        role=User.Role.CAREGIVER,
        clinic=None,
        time_zone=str(patient.tzinfo),
        language=patient.language,
    )
    return _link(invitation, caregiver)


@transaction.atomic
def caregiver_accept_existing(*, invitation: CaregiverInvitation, user: User) -> CareLink:
    """A signed-in caregiver account with the invited address accepts.

    Only a caregiver account: a patient's or clinic staff's account sees other pages, and one login must
    never mix them (they are asked to be invited at another address)."""
    if not user.is_caregiver:
        raise CaregiverError
    if user.email.lower() != invitation.email.lower():
        raise InvitationError(InvitationProblem.INVALID)
    _claim(invitation)
    return _link(invitation, user)


def care_link_remove(*, link: CareLink, by: User) -> bool:
    """End the caregiver's access now: their next request is refused, their e-mailed links stop working,
    and their copies of prompts not yet sent are cancelled. False if it had already ended."""
    with transaction.atomic():
        ended = CareLink.objects.filter(pk=link.pk, removed_at__isnull=True).update(
            removed_at=timezone.now(), removed_by=by
        )
        if ended:
            OutboundEmail.objects.filter(
                to_user_id=link.caregiver_id,
                followup__patient_id=link.patient_id,
                status=OutboundEmail.Status.PENDING,
            ).update(status=OutboundEmail.Status.CANCELLED)
    return bool(ended)


def care_link_set_prompts(*, link: CareLink, receives_prompts: bool) -> None:
    """Whether the caregiver also gets the patient's follow-up prompts and reminders."""
    CareLink.objects.filter(pk=link.pk).update(receives_prompts=receives_prompts)
    link.receives_prompts = receives_prompts
