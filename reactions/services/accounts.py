"""Accounts: invitations, two-factor set-up links, a patient's follow-up choice and details, deletion."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import (
    Q,
)
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from phonenumber_field.phonenumber import PhoneNumber

from reactions import jobs
from reactions.models import (
    CaregiverInvitation,
    CareLink,
    Clinic,
    DeletionRequest,
    Flag,
    Infusion,
    Invitation,
    OutboundEmail,
    PushSubscription,
    ReactionReport,
    User,
)
from reactions.models.accounts import PATIENT_RISK_FIELDS
from reactions.services.followups import followups_sync_patient
from reactions.services.links import InvitationError, InvitationProblem, invitation_url, two_factor_enrolment_token
from reactions.services.outbox import email_queue
from reactions.services.triage import FlagActionError


def invitation_create(
    *,
    clinic: Clinic,
    email: str,
    full_name: str,
    role: str,
    invited_by: User,
    phone: PhoneNumber | str = "",
) -> Invitation:
    """Create an invitation and its e-mail, sent within seconds of the commit (and retried like any other).

    Until the e-mail is delivered, the clinic's invitation list offers the link to pass on by hand. The phone
    number, if the clinic has one, is offered to the patient to confirm or correct when they join.
    """
    with transaction.atomic():
        invitation = Invitation.objects.create(
            clinic=clinic,
            email=email.strip().lower(),
            full_name=full_name.strip(),
            role=role,
            invited_by=invited_by,
            phone=phone or "",
            nonce=secrets.token_hex(16),
        )
        queued = email_queue(
            kind=OutboundEmail.Kind.INVITATION,
            template="invitation",
            to_email=invitation.email,
            clinic=clinic,
            context={
                "invitation": invitation,
                "clinic": clinic,
                "url": invitation_url(invitation=invitation),
                "valid_days": settings.INVITATION_MAX_AGE // 86400,
            },
        )
    jobs.enqueue_on_commit(jobs.DELIVER_EMAILS, [queued.pk])
    return invitation


@transaction.atomic
def invitation_accept(
    *, invitation: Invitation, full_name: str, password: str, phone: PhoneNumber | str | None = None
) -> User:
    """Create the invited user. The conditional update makes the link single-use even under a double submit.

    phone: the number the person confirmed or corrected; None keeps the one the clinic gave (if any).
    """
    now = timezone.now()
    claimed = Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).update(accepted_at=now)
    if not claimed:
        raise InvitationError(InvitationProblem.USED)
    user = User.objects.create_user(
        email=invitation.email,
        password=password,
        full_name=full_name.strip(),
        role=invitation.role,
        clinic=invitation.clinic,
        phone=invitation.phone if phone is None else phone,
    )
    Invitation.objects.filter(pk=invitation.pk).update(accepted_user=user)
    return user


def two_factor_enrolment_send(*, user: User) -> None:
    """E-mail the user a link to set up their first authenticator, within seconds of the commit."""
    url = settings.SITE_URL + reverse("two_factor_enrol_link", args=[two_factor_enrolment_token(user=user)])
    with transaction.atomic():
        queued = email_queue(
            kind=OutboundEmail.Kind.TWO_FACTOR_ENROLMENT,
            template="two-factor-enrolment",
            to_user=user,
            clinic=user.clinic,
            context={"url": url, "valid_minutes": settings.TWO_FACTOR_ENROLMENT_LINK_MAX_AGE // 60},
        )
    jobs.enqueue_on_commit(jobs.DELIVER_EMAILS, [queued.pk])


def patient_followups_set(*, patient: User, choice: str) -> None:
    """'pause' (30 days), 'stop' or 'resume' follow-up e-mails; the date is recorded."""
    now = timezone.now()
    if choice == "pause":
        patient.followups_paused_until, patient.followups_stopped_at = now + timedelta(days=30), None
    elif choice == "stop":
        patient.followups_paused_until, patient.followups_stopped_at = None, now
    elif choice == "resume":
        patient.followups_paused_until, patient.followups_stopped_at = None, None
    else:
        raise ValueError(f"unknown follow-up choice {choice!r}")
    patient.save(update_fields=["followups_paused_until", "followups_stopped_at"])


def user_channels_set(*, user: User, notify_email: bool, notify_sms: bool) -> None:
    """How a patient (or a caregiver, for their copies) gets follow-up messages, several at once; texts go to
    their phone number.

    Choosing texts again does not undo a STOP texted from the phone: only START does, because the SMS
    provider refuses texts to that number until then.
    """
    user.notify_email, user.notify_sms = notify_email, notify_sms
    user.save(update_fields=["notify_email", "notify_sms"])


def _validate_fields(user: User, *names: str) -> None:
    """Validate only the fields being changed: a value already stored that a rule now refuses (a phone number
    whose numbering plan has changed since, or a demo's fictional one) must not block an unrelated change."""
    others = [field.name for field in User._meta.concrete_fields if field.name not in names]
    user.full_clean(validate_unique=False, exclude=others)


def patient_update_details(*, patient: User, indication: str) -> None:
    patient.indication = indication
    _validate_fields(patient, "indication")
    patient.save(update_fields=["indication"])


@transaction.atomic
def patient_update_risk(*, patient: User, **fields: object) -> None:
    """Clinicians record the patient's risk factors; unsent prompts follow at once (extra ones added or dropped)."""
    unknown = set(fields) - set(PATIENT_RISK_FIELDS)
    if unknown:
        raise TypeError(f"patient_update_risk() got unexpected fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(patient, name, value)
    _validate_fields(patient, *fields)
    patient.save(update_fields=list(fields))
    followups_sync_patient(patient=patient)


def user_set_phone(*, user: User, phone: PhoneNumber | str) -> None:
    """The number a clinician calls back on; set by the patient on their profile or by clinic staff."""
    user.phone = phone or ""
    _validate_fields(user, "phone")
    user.save(update_fields=["phone"])


def deletion_request_create(*, patient: User, reason: str = "") -> DeletionRequest:
    existing = DeletionRequest.objects.filter(patient=patient, confirmed_at__isnull=True).first()
    if existing:
        return existing
    return DeletionRequest.objects.create(
        patient=patient, patient_ref=patient.pk, clinic_id=patient.clinic_id, reason=reason
    )


@transaction.atomic
def deletion_confirm(*, deletion: DeletionRequest, by: User) -> None:
    """Remove the patient's health data and anonymise the account, as SECURITY.md documents.

    Removed: infusions, vitals, rate changes, reports, symptoms, flags and their notes,
    follow-ups, every e-mail to or about the patient, invitations to their address and those they sent to
    caregivers, two-factor devices and the devices notifications went to; their caregivers' access ends.
    Kept: the anonymised user row (so that audit rows still point somewhere), audit rows (who accessed the
    record and when, no health data, no name),
    and clinic-level lot-signal counts (no personal data).
    """
    patient = DeletionRequest.objects.select_for_update().get(pk=deletion.pk).patient
    if patient is None or deletion.confirmed_at is not None:
        raise FlagActionError(_("This request has already been handled."))
    if by.role != User.Role.CLINIC_ADMIN or by.clinic_id != patient.clinic_id:
        raise FlagActionError(_("Only a clinic admin of the patient's clinic can confirm a deletion."))
    OutboundEmail.objects.filter(
        Q(to_user=patient) | Q(flag__patient=patient) | Q(followup__patient=patient) | Q(to_email__iexact=patient.email)
    ).delete()
    Invitation.objects.filter(email__iexact=patient.email).delete()
    CaregiverInvitation.objects.filter(patient=patient).delete()
    CareLink.objects.active().filter(patient=patient).update(removed_at=timezone.now(), removed_by=by)
    Flag.objects.filter(patient=patient).delete()
    ReactionReport.objects.filter(patient=patient).delete()
    Infusion.objects.filter(patient=patient).delete()
    for device_model in (TOTPDevice, StaticDevice, PushSubscription):
        device_model.objects.filter(user=patient).delete()
    patient.email = f"deleted-{patient.pk}@deleted.invalid"
    patient.full_name = "Deleted patient"
    patient.time_zone = ""
    patient.indication = ""
    patient.phone = ""
    patient.notify_sms, patient.sms_stopped_at = False, None
    patient.is_active = False
    patient.followups_paused_until = None
    patient.followups_stopped_at = timezone.now()
    patient.set_unusable_password()  # also ends every session (the session auth hash changes)
    patient.save()
    DeletionRequest.objects.filter(pk=deletion.pk).update(confirmed_at=timezone.now(), confirmed_by=by, reason="")


# --- Two-factor sign-in devices and the user's own settings ------------------------------------------

BACKUP_CODES = 10


def two_factor_device_pending(*, user: User) -> TOTPDevice:
    """The authenticator being set up (unconfirmed until the user types a code from it)."""
    device, _created = TOTPDevice.objects.get_or_create(
        user=user, confirmed=False, defaults={"name": "Authenticator app"}
    )
    return device


@transaction.atomic
def two_factor_device_confirm(*, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm the device if the code is its current one: then new backup codes replace the old (returned
    once, to be shown once). None if the code does not match."""
    if not device.verify_token(token.replace(" ", "")):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return backup_codes_replace(user=device.user)


@transaction.atomic
def backup_codes_replace(*, user: User) -> list[str]:
    """Ten new single-use backup codes; the old ones stop working."""
    device, _created = StaticDevice.objects.get_or_create(user=user, name="Backup codes", defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def user_set_language(*, user: User, language: str) -> None:
    """The language of the user's pages and e-mails; empty follows the browser."""
    user.language = language
    _validate_fields(user, "language")
    user.save(update_fields=["language"])


def clinic_update_settings(*, clinic: Clinic, **fields: object) -> Clinic:
    """A clinic admin's settings; follow-up times apply to infusions logged from now on."""
    for name, value in fields.items():
        setattr(clinic, name, value)
    clinic.full_clean()
    clinic.save()
    return clinic
