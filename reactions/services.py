"""Business rules. Views and tasks call these; they never write models themselves.

Functions are keyword-only and named <entity>_<action>. Anything that changes
more than one row runs in one transaction, so a failure leaves nothing half-saved.
"""
from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from smtplib import SMTPException

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from . import severity
from .emails import send_email
from .models import Clinic, Flag, Infusion, Invitation, ReactionReport, ReportedSymptom, User

logger = logging.getLogger(__name__)

INVITATION_SALT = "reactions.invitation"


# --- Invitations -------------------------------------------------------------


class InvitationProblem(StrEnum):
    INVALID = "invalid"
    EXPIRED = "expired"
    USED = "used"


class InvitationError(Exception):
    def __init__(self, problem: InvitationProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


def invitation_token(*, invitation: Invitation) -> str:
    return signing.dumps({"i": invitation.pk, "n": invitation.nonce}, salt=INVITATION_SALT)


def invitation_url(*, invitation: Invitation) -> str:
    return settings.SITE_URL + reverse("invitation_accept", args=[invitation_token(invitation=invitation)])


def invitation_create(*, clinic: Clinic, email: str, full_name: str, role: str, invited_by: User) -> tuple[Invitation, bool]:
    """Create an invitation and e-mail it. Returns (invitation, whether the e-mail went out).

    A failed send keeps the invitation: the clinician is shown the link to pass on.
    """
    invitation = Invitation.objects.create(
        clinic=clinic,
        email=email.strip().lower(),
        full_name=full_name.strip(),
        role=role,
        invited_by=invited_by,
        nonce=secrets.token_hex(16),
    )
    try:
        send_email(
            "invitation",
            to=[invitation.email],
            context={
                "invitation": invitation,
                "clinic": clinic,
                "url": invitation_url(invitation=invitation),
                "valid_days": settings.INVITATION_MAX_AGE // 86400,
            },
        )
    except (SMTPException, OSError):
        logger.exception("Invitation %s could not be e-mailed", invitation.pk)
        return invitation, False
    return invitation, True


def invitation_from_token(*, token: str) -> Invitation:
    """The pending invitation this token stands for; InvitationError says why not."""
    try:
        payload = signing.loads(token, salt=INVITATION_SALT, max_age=settings.INVITATION_MAX_AGE)
    except signing.SignatureExpired:
        raise InvitationError(InvitationProblem.EXPIRED) from None
    except signing.BadSignature:
        raise InvitationError(InvitationProblem.INVALID) from None
    if not isinstance(payload, dict):
        raise InvitationError(InvitationProblem.INVALID)
    invitation = Invitation.objects.select_related("clinic").filter(pk=payload.get("i"), nonce=payload.get("n")).first()
    if invitation is None:
        raise InvitationError(InvitationProblem.INVALID)
    if invitation.accepted_at is not None:
        raise InvitationError(InvitationProblem.USED)
    return invitation


@transaction.atomic
def invitation_accept(*, invitation: Invitation, full_name: str, password: str) -> User:
    """Create the invited user. The conditional update makes the link single-use even under a double submit."""
    now = timezone.now()
    claimed = Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).update(accepted_at=now)
    if not claimed:
        raise InvitationError(InvitationProblem.USED)
    user = User.objects.create_user(
        email=invitation.email, password=password, full_name=full_name.strip(), role=invitation.role, clinic=invitation.clinic
    )
    Invitation.objects.filter(pk=invitation.pk).update(accepted_user=user)
    return user


# --- Infusions ---------------------------------------------------------------


@transaction.atomic
def infusion_create(
    *,
    patient: User,
    logged_by: User,
    status: str,
    started_at: datetime,
    ended_at: datetime | None,
    product: str,
    product_other: str = "",
    lot_number: str = "",
    dose_grams: Decimal | None = None,
    setting: str = Infusion.Setting.CLINIC,
    premedication: str = "",
    pre_hydrated: bool = False,
    notes: str = "",
) -> Infusion:
    infusion = Infusion(
        patient=patient,
        logged_by=logged_by,
        status=status,
        started_at=started_at,
        ended_at=ended_at,
        product=product,
        product_other=product_other if product == Infusion.Product.OTHER else "",
        lot_number=lot_number,
        dose_grams=dose_grams,
        setting=setting,
        premedication=premedication,
        pre_hydrated=pre_hydrated,
        notes=notes,
    )
    infusion.full_clean()
    infusion.save()
    return infusion


@transaction.atomic
def infusion_update(*, infusion: Infusion, **fields: object) -> Infusion:
    allowed = {
        "status", "started_at", "ended_at", "product", "product_other", "lot_number",
        "dose_grams", "setting", "premedication", "pre_hydrated", "notes",
    }  # fmt: skip
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"infusion_update() got unexpected fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(infusion, name, value)
    if infusion.product != Infusion.Product.OTHER:
        infusion.product_other = ""
    infusion.full_clean()
    infusion.save()
    return infusion


class InfusionHasReports(Exception):
    pass


@transaction.atomic
def infusion_delete(*, infusion: Infusion) -> None:
    """Delete an infusion logged by mistake; one with reports is kept (nothing reported is lost)."""
    if infusion.reports.exists():
        raise InfusionHasReports()
    infusion.delete()


# --- Reaction reports ----------------------------------------------------------


@dataclass(frozen=True)
class SymptomEntry:
    code: str
    grade: str
    onset: str
    ongoing: bool = False


@transaction.atomic
def report_create(*, infusion: Infusion, symptoms: Sequence[SymptomEntry], notes: str = "") -> ReactionReport:
    """Save a report with its symptoms, and the flags it raises, in one transaction."""
    assessment = severity.assess((s.code, s.grade) for s in symptoms)
    report = ReactionReport.objects.create(
        patient=infusion.patient,
        infusion=infusion,
        notes=notes,
        is_severe=assessment.is_severe_event,
        needs_review=assessment.needs_review,
    )
    ReportedSymptom.objects.bulk_create(
        ReportedSymptom(report=report, code=s.code, grade=s.grade, onset=s.onset, ongoing=s.ongoing) for s in symptoms
    )
    clinic_id = infusion.patient.clinic_id
    flags = []
    if assessment.is_severe_event:
        flags.append(Flag(clinic_id=clinic_id, patient=infusion.patient, report=report, kind=Flag.Kind.SEVERE_EVENT))
    if assessment.needs_review:
        flags.append(Flag(clinic_id=clinic_id, patient=infusion.patient, report=report, kind=Flag.Kind.REVIEW))
    Flag.objects.bulk_create(flags)
    if assessment.is_severe_event:
        logger.warning("Severe event reported: report %s, patient %s", report.pk, infusion.patient_id)
    return report


# --- Flags ---------------------------------------------------------------------


def flag_acknowledge(*, flag: Flag, by: User, note: str = "") -> bool:
    """Acknowledge an open flag. False if someone acknowledged it first (the first one wins)."""
    updated = Flag.objects.filter(pk=flag.pk, status=Flag.Status.OPEN).update(
        status=Flag.Status.ACKNOWLEDGED, acknowledged_at=timezone.now(), acknowledged_by=by, acknowledgement_note=note
    )
    flag.refresh_from_db()
    return bool(updated)


# --- Patient home ----------------------------------------------------------------

# How long after an infusion the home page keeps asking "how are you since…?":
# the last follow-up is at +7 days, and venous clots can appear up to two weeks.
HOW_ARE_YOU_WINDOW = timedelta(days=14)


class NextAction(StrEnum):
    CONFIRM_PLANNED = "confirm_planned"  # a planned infusion's time has come: was it given?
    HOW_ARE_YOU = "how_are_you"  # an infusion ended recently: any symptoms?
    LOG_INFUSION = "log_infusion"  # nothing pending


@dataclass(frozen=True)
class PatientAction:
    kind: NextAction
    infusion: Infusion | None = None


def patient_next_action(*, patient: User) -> PatientAction:
    """The one most useful thing for the patient to do now, for the top of the home page."""
    now = timezone.now()
    local_today_end = timezone.localtime(now, patient.tzinfo).replace(hour=23, minute=59, second=59)
    due_planned = (
        Infusion.objects.filter(patient=patient, status=Infusion.Status.PLANNED, started_at__lte=local_today_end)
        .order_by("-started_at")
        .first()
    )
    if due_planned is not None:
        return PatientAction(NextAction.CONFIRM_PLANNED, due_planned)
    recent = (
        Infusion.objects.filter(patient=patient, status=Infusion.Status.GIVEN, started_at__gte=now - HOW_ARE_YOU_WINDOW)
        .order_by("-started_at")
        .first()
    )
    if recent is not None:
        return PatientAction(NextAction.HOW_ARE_YOU, recent)
    return PatientAction(NextAction.LOG_INFUSION)


def patient_upcoming_infusion(*, patient: User) -> Infusion | None:
    return (
        Infusion.objects.filter(patient=patient, status=Infusion.Status.PLANNED, started_at__gt=timezone.now())
        .order_by("started_at")
        .first()
    )
