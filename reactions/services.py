"""Business rules. Views and tasks call these; they never write models themselves.

Functions are keyword-only and named <entity>_<action>. Anything that changes
more than one row runs in one transaction, so a failure leaves nothing half-saved.
"""
from __future__ import annotations

import logging
import secrets
import time
import urllib.request
from collections import defaultdict, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from itertools import groupby
from smtplib import (
    SMTPConnectError,
    SMTPException,
    SMTPRecipientsRefused,
    SMTPResponseException,
    SMTPServerDisconnected,
)
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db import connection as db_connection
from django.db.models import (
    Case, Count, Exists, F, IntegerField, Max, Min, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import schedule, severity
from . import vitals as vitals_rules
from .emails import render_email
from .signin import client_ip, has_confirmed_device
from .models import (
    AuditEvent,
    Clinic,
    DeletionRequest,
    DeliveryAttempt,
    DigestRun,
    Flag,
    FlagEvent,
    FollowUp,
    Heartbeat,
    Infusion,
    Invitation,
    LotSignal,
    OutboundEmail,
    RateChange,
    ReactionReport,
    ReportedSymptom,
    ReportReclassification,
    User,
    Vitals,
)

logger = logging.getLogger(__name__)
# Refused links and other security-relevant events, for operators to alert on.
security_logger = logging.getLogger("reactions.security")

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
    """Create an invitation and its e-mail, then try to deliver it at once.

    Returns (invitation, whether the mail server accepted it). If not, the e-mail stays
    queued and is retried by the dispatcher; the clinician is shown the link to pass on.
    """
    with transaction.atomic():
        invitation = Invitation.objects.create(
            clinic=clinic,
            email=email.strip().lower(),
            full_name=full_name.strip(),
            role=role,
            invited_by=invited_by,
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
    email_deliver(email_ids=[queued.pk])
    queued.refresh_from_db(fields=["status"])
    return invitation, queued.status == OutboundEmail.Status.SENT


def invitation_from_token(*, token: str) -> Invitation:
    """The pending invitation this token stands for; InvitationError says why not."""
    try:
        payload = _load_token(token, salt=INVITATION_SALT, max_age=settings.INVITATION_MAX_AGE, kind="invitation")
    except LinkError as error:
        raise InvitationError(error.problem) from None
    invitation = Invitation.objects.select_related("clinic").filter(pk=payload.get("i"), nonce=payload.get("n")).first()
    if invitation is None:
        security_logger.warning("Refused invitation link: no such invitation (%r)", payload)
        raise InvitationError(InvitationProblem.INVALID)
    if invitation.accepted_at is not None:
        security_logger.warning("Refused invitation link: invitation %s already used", invitation.pk)
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
    followups_sync(infusion=infusion)
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
    followups_sync(infusion=infusion)
    return infusion


class InfusionHasReports(Exception):
    pass


@transaction.atomic
def infusion_delete(*, infusion: Infusion) -> None:
    """Delete an infusion logged by mistake; one with reports is kept (nothing reported is lost)."""
    if infusion.reports.exists():
        raise InfusionHasReports()
    # Unsent messages about this infusion must not go out; sent ones keep their record.
    OutboundEmail.objects.filter(followup__infusion=infusion, status=OutboundEmail.Status.PENDING).update(
        status=OutboundEmail.Status.CANCELLED
    )
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
    now = timezone.now()
    if assessment.is_severe_event:
        # Due at once: the task below sends it within seconds, the minute sweep is the safety net.
        severe = Flag.objects.create(
            clinic_id=clinic_id, patient=infusion.patient, report=report, kind=Flag.Kind.SEVERE_EVENT, next_alert_at=now
        )
        logger.warning("Severe event reported: report %s, patient %s", report.pk, infusion.patient_id)
        from .tasks import send_flag_alert  # tasks import services: import here to avoid a cycle

        send_flag_alert.delay_on_commit(severe.pk)
    if assessment.needs_review:
        Flag.objects.create(clinic_id=clinic_id, patient=infusion.patient, report=report, kind=Flag.Kind.REVIEW)
    if assessment.is_severe_event:
        lot_signal_check(infusion=infusion)
    # Reporting in the app answers the infusion's open prompt.
    followups_answer_for_infusion(infusion=infusion, report=report, now=now)
    return report


# --- Flags ---------------------------------------------------------------------


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
            FlagEvent.objects.create(flag=flag, actor=by, action=FlagEvent.Action.ACKNOWLEDGED, note=note)
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
def flag_assign(*, flag: Flag, by: User, assignee: User) -> None:
    if assignee.clinic_id != flag.clinic_id or not assignee.is_clinic_staff:
        raise FlagActionError(_("Assign only to a clinician of the same clinic."))
    now = timezone.now()
    _flag_acknowledge_implicitly(flag, by, now)
    Flag.objects.filter(pk=flag.pk).update(assigned_to=assignee)
    FlagEvent.objects.create(flag=flag, actor=by, action=FlagEvent.Action.ASSIGNED, note=f"Assigned to {assignee}")
    flag.refresh_from_db()


def flag_add_note(*, flag: Flag, by: User, note: str) -> FlagEvent:
    return FlagEvent.objects.create(flag=flag, actor=by, action=FlagEvent.Action.NOTE, note=note)


@transaction.atomic
def flag_close(*, flag: Flag, by: User, outcome: str, note: str = "") -> None:
    """Record the outcome: the flag leaves the queue and stays on the patient's timeline."""
    if outcome not in Flag.Outcome.values:
        raise FlagActionError(_("Choose an outcome."))
    now = timezone.now()
    _flag_acknowledge_implicitly(flag, by, now)
    if not Flag.objects.filter(pk=flag.pk).exclude(status=Flag.Status.CLOSED).update(
        status=Flag.Status.CLOSED, outcome=outcome, closed_at=now, closed_by=by, snoozed_until=None, next_alert_at=None
    ):
        raise FlagActionError(_("This flag is already closed."))
    label = Flag.Outcome(outcome).label
    FlagEvent.objects.create(flag=flag, actor=by, action=FlagEvent.Action.CLOSED, note=f"{label}. {note}".strip())
    flag.refresh_from_db()


@transaction.atomic
def flag_reopen(*, flag: Flag, by: User, note: str = "") -> None:
    if not Flag.objects.filter(pk=flag.pk, status=Flag.Status.CLOSED).update(
        status=Flag.Status.ACKNOWLEDGED, outcome="", closed_at=None, closed_by=None
    ):
        raise FlagActionError(_("Only a closed flag can be reopened."))
    FlagEvent.objects.create(flag=flag, actor=by, action=FlagEvent.Action.REOPENED, note=note)
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
    FlagEvent.objects.create(
        flag=flag, actor=by, action=FlagEvent.Action.SNOOZED,
        note=f"Until {timezone.localtime(until):%d %b %Y %H:%M}: {reason}",
    )  # fmt: skip
    flag.refresh_from_db()


REPORT_LEVELS = ("severe", "review", "mild")


@transaction.atomic
def report_reclassify(*, report: ReactionReport, by: User, to_level: str, reason: str) -> ReportReclassification:
    """A clinician's reassessment of a report. The patient's answers stay as they were; the change is recorded.

    Upgrading to severe opens a severe event (so it is triaged and counts for lot signals);
    downgrading a severe event stops its alerts, and the clinician closes it with an outcome.
    """
    if to_level not in REPORT_LEVELS:
        raise FlagActionError(_("Choose severe, review or mild."))
    if not reason.strip():
        raise FlagActionError(_("Say why you reclassify this report."))
    from_level = report.level
    if to_level == from_level:
        raise FlagActionError(_("The report already has this severity."))
    change = ReportReclassification.objects.create(
        report=report, from_level=from_level, to_level=to_level, reason=reason, by=by
    )
    ReactionReport.objects.filter(pk=report.pk).update(clinician_level=to_level)
    report.clinician_level = to_level
    note = f"Reclassified from {from_level} to {to_level}: {reason}"
    active = list(report.flags.exclude(status=Flag.Status.CLOSED))
    for flag in active:
        FlagEvent.objects.create(flag=flag, actor=by, action=FlagEvent.Action.RECLASSIFIED, note=note)
    if from_level == "severe":
        report.flags.filter(kind=Flag.Kind.SEVERE_EVENT).update(next_alert_at=None)
    wanted_kind = {"severe": Flag.Kind.SEVERE_EVENT, "review": Flag.Kind.REVIEW}.get(to_level)
    if wanted_kind and not any(f.kind == wanted_kind for f in active):
        now = timezone.now()
        flag, created = Flag.objects.get_or_create(
            report=report, kind=wanted_kind,
            defaults={"clinic_id": report.patient.clinic_id, "patient": report.patient, "created_at": now,
                      "status": Flag.Status.ACKNOWLEDGED, "acknowledged_at": now, "acknowledged_by": by},
        )  # fmt: skip
        if not created:  # a closed flag of that kind: reopen it
            Flag.objects.filter(pk=flag.pk).update(status=Flag.Status.ACKNOWLEDGED, outcome="", closed_at=None)
        FlagEvent.objects.create(flag=flag, actor=by, action=FlagEvent.Action.RECLASSIFIED, note=note)
        if wanted_kind == Flag.Kind.SEVERE_EVENT:
            lot_signal_check(infusion=report.infusion)
    return change


# --- Vitals and rate changes -------------------------------------------------------------------


@transaction.atomic
def vitals_record(
    *,
    infusion: Infusion,
    by: User,
    phase: str,
    recorded_at: datetime,
    systolic: int | None = None,
    diastolic: int | None = None,
    pulse: int | None = None,
    temperature: Decimal | None = None,
    note: str = "",
) -> Vitals:
    """Save vitals; values outside the clinic's safe ranges are highlighted and raise a review flag."""
    values = {"systolic": systolic, "diastolic": diastolic, "pulse": pulse, "temperature": temperature}
    outside = vitals_rules.out_of_range(values, infusion.patient.clinic.vitals_safe_ranges)
    vitals = Vitals(
        infusion=infusion, phase=phase, recorded_at=recorded_at, note=note, recorded_by=by,
        out_of_range=bool(outside), **values,
    )  # fmt: skip
    vitals.full_clean()
    vitals.save()
    if outside:
        flag = Flag.objects.create(
            clinic_id=infusion.patient.clinic_id, patient=infusion.patient, vitals=vitals, kind=Flag.Kind.REVIEW
        )
        FlagEvent.objects.create(
            flag=flag, actor=by, action=FlagEvent.Action.NOTE,
            note="Outside the safe range: " + ", ".join(vitals_rules.describe(name, values[name]) for name in outside),
        )  # fmt: skip
    return vitals


@transaction.atomic
def rate_change_record(
    *, infusion: Infusion, by: User, changed_at: datetime, rate: Decimal, unit: str, note: str = ""
) -> RateChange:
    change = RateChange(infusion=infusion, changed_at=changed_at, rate=rate, unit=unit, note=note, recorded_by=by)
    change.full_clean()
    change.save()
    return change


# --- Lot signals ---------------------------------------------------------------------------------

LOT_SIGNAL_WINDOW = timedelta(days=30)
LOT_SIGNAL_MIN_EVENTS = 2


def lot_signal_check(*, infusion: Infusion) -> LotSignal | None:
    """Two or more severe events on one product lot within 30 days in a clinic: signal the clinic admins.

    Runs in the transaction that created the severe event. One signal per lot per window:
    a new one only when the last is older than the window.
    """
    if not infusion.lot_number:
        return None
    clinic_id = infusion.patient.clinic_id
    now = timezone.now()
    since = now - LOT_SIGNAL_WINDOW
    events = Flag.objects.filter(
        clinic_id=clinic_id,
        kind=Flag.Kind.SEVERE_EVENT,
        created_at__gte=since,
        report__infusion__product=infusion.product,
        report__infusion__lot_number=infusion.lot_number,
    )
    summary = events.aggregate(n=Count("pk"), patients=Count("patient", distinct=True), first=Min("created_at"),
                               last=Max("created_at"))  # fmt: skip
    if summary["n"] < LOT_SIGNAL_MIN_EVENTS:
        return None
    if LotSignal.objects.filter(
        clinic_id=clinic_id, product=infusion.product, lot_number=infusion.lot_number, created_at__gte=since
    ).exists():
        return None
    signal = LotSignal.objects.create(
        clinic_id=clinic_id, product=infusion.product, lot_number=infusion.lot_number,
        severe_events=summary["n"], patients=summary["patients"],
        first_event_at=summary["first"], last_event_at=summary["last"],
    )  # fmt: skip
    clinic = infusion.patient.clinic
    url = settings.SITE_URL + reverse("product_report")
    for admin in User.objects.filter(clinic_id=clinic_id, role=User.Role.CLINIC_ADMIN, is_active=True):
        email_queue(
            kind=OutboundEmail.Kind.LOT_SIGNAL, template="lot-signal", to_user=admin, clinic=clinic,
            context={"signal": signal, "clinic": clinic, "product_name": infusion.product_name, "url": url},
        )  # fmt: skip
    logger.warning("Lot signal: clinic %s, %s lot %s, %s severe events", clinic_id, infusion.product, infusion.lot_number,
                   summary["n"])  # fmt: skip
    return signal


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
    # One query: the latest planned infusion whose day has come wins over the latest recent given one.
    due_planned = Q(status=Infusion.Status.PLANNED, started_at__lte=local_today_end)
    recent_given = Q(status=Infusion.Status.GIVEN, started_at__gte=now - HOW_ARE_YOU_WINDOW)
    infusion = (
        Infusion.objects.filter(due_planned | recent_given, patient=patient)
        .annotate(rank=Case(When(status=Infusion.Status.PLANNED, then=Value(0)), default=Value(1)))
        .order_by("rank", "-started_at")
        .first()
    )
    if infusion is None:
        return PatientAction(NextAction.LOG_INFUSION)
    if infusion.status == Infusion.Status.PLANNED:
        return PatientAction(NextAction.CONFIRM_PLANNED, infusion)
    return PatientAction(NextAction.HOW_ARE_YOU, infusion)


def patient_upcoming_infusion(*, patient: User) -> Infusion | None:
    return (
        Infusion.objects.filter(patient=patient, status=Infusion.Status.PLANNED, started_at__gt=timezone.now())
        .order_by("started_at")
        .first()
    )


# --- Follow-up schedule -------------------------------------------------------------------

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
            ended_at=infusion.ended_at, offsets_hours=clinic.followup_offsets_hours, tz=tz,
            quiet_start=quiet[0], quiet_end=quiet[1],
        ):  # fmt: skip
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
        due = max(now, schedule.pre_infusion_reminder_time(
            starts_at=infusion.started_at, tz=tz, quiet_start=quiet[0], quiet_end=quiet[1]
        ))  # fmt: skip
        if pre is None:
            FollowUp.objects.create(infusion=infusion, patient=infusion.patient, kind=FollowUp.Kind.PRE_INFUSION, due_at=due)
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
        FollowUp.objects.filter(infusion=infusion, kind=FollowUp.Kind.PROMPT, status__in=OPEN_PROMPT_STATUSES).values_list(
            "pk", flat=True
        )
    )
    if not open_ids:
        return 0
    OutboundEmail.objects.filter(followup_id__in=open_ids, status=OutboundEmail.Status.PENDING).update(
        status=OutboundEmail.Status.CANCELLED
    )
    return FollowUp.objects.filter(pk__in=open_ids, status__in=OPEN_PROMPT_STATUSES).update(
        status=FollowUp.Status.ANSWERED, answer=FollowUp.Answer.REPORTED, answered_at=now, report=report
    )


FOLLOWUP_SALT = "reactions.followup"
EMAIL_PREFS_SALT = "reactions.email-preferences"


class LinkError(Exception):
    """A follow-up or preferences link that is tampered with or expired."""

    def __init__(self, problem: InvitationProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


def followup_token(*, followup: FollowUp) -> str:
    return signing.dumps({"f": followup.pk}, salt=FOLLOWUP_SALT)


def followup_from_token(*, token: str) -> FollowUp:
    payload = _load_token(token, salt=FOLLOWUP_SALT, max_age=settings.FOLLOWUP_LINK_MAX_AGE, kind="follow-up")
    followup = (
        FollowUp.objects.select_related("infusion", "patient__clinic")
        .filter(pk=payload.get("f"), kind=FollowUp.Kind.PROMPT)
        .first()
    )
    if followup is None:
        raise LinkError(InvitationProblem.INVALID)
    return followup


def email_preferences_token(*, user: User) -> str:
    return signing.dumps({"u": user.pk}, salt=EMAIL_PREFS_SALT)


def user_from_email_preferences_token(*, token: str) -> User:
    payload = _load_token(token, salt=EMAIL_PREFS_SALT, max_age=settings.EMAIL_PREFERENCES_LINK_MAX_AGE,
                          kind="e-mail preferences")  # fmt: skip
    user = User.objects.filter(pk=payload.get("u"), is_active=True).first()
    if user is None:
        raise LinkError(InvitationProblem.INVALID)
    return user


TWO_FACTOR_ENROLMENT_SALT = "reactions.two-factor-enrolment"


def two_factor_enrolment_token(*, user: User) -> str:
    return signing.dumps({"u": user.pk}, salt=TWO_FACTOR_ENROLMENT_SALT)


def user_from_two_factor_enrolment_token(*, token: str) -> User:
    """The user a set-up link was e-mailed to. It stops working once they have a device (single use)."""
    payload = _load_token(token, salt=TWO_FACTOR_ENROLMENT_SALT, max_age=settings.TWO_FACTOR_ENROLMENT_LINK_MAX_AGE,
                          kind="two-factor set-up")  # fmt: skip
    user = User.objects.filter(pk=payload.get("u"), is_active=True).first()
    if user is None:
        raise LinkError(InvitationProblem.INVALID)
    if has_confirmed_device(user):
        security_logger.warning("Refused two-factor set-up link: user %s already has a device (replay)", user.pk)
        raise LinkError(InvitationProblem.USED)
    return user


def two_factor_enrolment_send(*, user: User) -> bool:
    """E-mail the user a link to set up their first authenticator; whether the mail server took it."""
    url = settings.SITE_URL + reverse("two_factor_enrol_link", args=[two_factor_enrolment_token(user=user)])
    with transaction.atomic():
        queued = email_queue(
            kind=OutboundEmail.Kind.TWO_FACTOR_ENROLMENT, template="two-factor-enrolment", to_user=user,
            clinic=user.clinic, context={"url": url, "valid_minutes": settings.TWO_FACTOR_ENROLMENT_LINK_MAX_AGE // 60},
        )  # fmt: skip
    email_deliver(email_ids=[queued.pk])
    queued.refresh_from_db(fields=["status"])
    return queued.status == OutboundEmail.Status.SENT


def _load_token(token: str, *, salt: str, max_age: int, kind: str) -> dict[str, Any]:
    """The signed payload of an e-mailed link. Tampered and expired links are refused and logged."""
    try:
        payload = signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired:
        security_logger.warning("Refused %s link: expired", kind)
        raise LinkError(InvitationProblem.EXPIRED) from None
    except signing.BadSignature:
        security_logger.warning("Refused %s link: bad signature (tampered or truncated)", kind)
        raise LinkError(InvitationProblem.INVALID) from None
    if not isinstance(payload, dict):
        security_logger.warning("Refused %s link: unexpected payload", kind)
        raise LinkError(InvitationProblem.INVALID)
    return payload


def followup_answer(*, followup: FollowUp, answer: str, report: ReactionReport | None = None) -> bool:
    """Record the patient's answer once. False if it was answered already (or never sent)."""
    now = timezone.now()
    with transaction.atomic():
        updated = FollowUp.objects.filter(pk=followup.pk, status__in=OPEN_PROMPT_STATUSES).update(
            status=FollowUp.Status.ANSWERED, answer=answer, answered_at=now, report=report
        )
        if updated:
            OutboundEmail.objects.filter(followup=followup, status=OutboundEmail.Status.PENDING).update(
                status=OutboundEmail.Status.CANCELLED
            )
        else:
            security_logger.info("Refused follow-up link: follow-up %s already answered or closed (replay)", followup.pk)
    followup.refresh_from_db()
    return bool(updated)


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


# --- Outbox: queue and deliver e-mail ------------------------------------------------------

URGENT_KINDS = (OutboundEmail.Kind.SEVERE_ALERT, OutboundEmail.Kind.ESCALATION)


def email_queue(**fields: Any) -> OutboundEmail:
    """Render an e-mail (email_build's arguments) and store it for delivery.

    Call inside the transaction that causes it.
    """
    email = email_build(**fields)
    email.save(force_insert=True)
    return email


def email_build(
    *,
    kind: str,
    template: str,
    context: dict[str, Any],
    to_user: User | None = None,
    to_email: str = "",
    due_at: datetime | None = None,
    followup: FollowUp | None = None,
    flag: Flag | None = None,
    clinic: Clinic | None = None,
) -> OutboundEmail:
    """The rendered, unsaved OutboundEmail that email_queue() stores (bulk_create many at once)."""
    address = to_email or (to_user.email if to_user else "")
    if not address:
        raise ValueError("email_queue() needs to_user or to_email")
    rendered = render_email(template, {"recipient": to_user, **context})
    return OutboundEmail(
        kind=kind,
        to_user=to_user,
        to_email=address,
        subject=rendered.subject[:300],
        body_text=rendered.text,
        body_html=rendered.html,
        due_at=due_at or timezone.now(),
        followup=followup,
        flag=flag,
        clinic=clinic,
    )


@dataclass
class DeliveryResult:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    recovered: int = 0

    def __iadd__(self, other: "DeliveryResult") -> "DeliveryResult":
        self.sent += other.sent
        self.retrying += other.retrying
        self.failed += other.failed
        self.recovered += other.recovered
        return self


# Rows are claimed a few at a time (one locking SELECT, one UPDATE), then sent one by one over one
# connection: a worker that dies holds no more than this many rows, each only until its lease ends.
CLAIM_CHUNK = 10


def email_lease(kind: str) -> timedelta:
    """How long a claimed message may stay SENDING before another worker may take it back.

    Short for alerts to clinicians, so that a dead worker delays a severe event by about a minute;
    longer for the rest, so that a slow mail server never makes a live send look abandoned.
    """
    seconds = settings.EMAIL_URGENT_LEASE_SECONDS if kind in URGENT_KINDS else settings.EMAIL_SENDING_LEASE_SECONDS
    return timedelta(seconds=seconds)


def email_deliver(
    *,
    email_ids: Iterable[int] | None = None,
    now: datetime | None = None,
    limit: int = 500,
    deadline: datetime | None = None,
) -> DeliveryResult:
    """Deliver due pending e-mails (or just these ones), each claimed by one worker only.

    The claim is a conditional UPDATE (pending -> sending): of two workers racing for a row,
    exactly one gets it. A row becomes SENT only after the mail server accepted it. Nothing is
    started after ``deadline`` (default: EMAIL_DELIVERY_BUDGET_SECONDS from now), and a claimed row
    not tried by then is given back at once, so a call never outlives its Celery time limit.
    """
    now = now or timezone.now()
    deadline = deadline or timezone.now() + timedelta(seconds=settings.EMAIL_DELIVERY_BUDGET_SECONDS)
    result = DeliveryResult(recovered=_email_recover_abandoned(now=now))
    due = OutboundEmail.objects.filter(status=OutboundEmail.Status.PENDING, due_at__lte=now)
    if email_ids is not None:
        due = due.filter(pk__in=list(email_ids))
    candidates = deque(
        due.annotate(urgent=Case(When(kind__in=URGENT_KINDS, then=Value(0)), default=Value(1), output_field=IntegerField()))
        .order_by("urgent", "due_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    if not candidates:
        return result
    connection = get_connection(fail_silently=False)
    try:
        while candidates and timezone.now() < deadline:
            chunk = [candidates.popleft() for _ in range(min(CLAIM_CHUNK, len(candidates)))]
            claimed_at = timezone.now()
            emails = _email_claim(chunk, now=now, claimed_at=claimed_at)
            for i, email in enumerate(emails):
                if timezone.now() >= deadline or (i and timezone.now() - claimed_at > email_lease(email.kind) / 3):
                    # Out of time, or a slow mail server: give the rest back long before its lease runs out,
                    # so that no other worker ever recovers (and sends) a row this one still holds.
                    _email_release([e.pk for e in emails[i:]], claimed_at=claimed_at)
                    candidates.extendleft(reversed([e.pk for e in emails[i:]]))
                    break
                outcome = _email_send_one(email=email, connection=connection, started_at=claimed_at)
                if outcome == "sent":
                    result.sent += 1
                    # Recorded before the next message goes: a worker killed between the server's
                    # acceptance and this record leaves only this one message to be sent a second time
                    # (with the same Message-ID: it stays SENDING, and the lease recovery sends it again).
                    _email_record_sent(email, started_at=claimed_at, finished_at=timezone.now())
                elif outcome == "failed":
                    result.failed += 1
                    # Who else must hear, at once (a bounced alert goes to the clinic's other staff).
                    candidates.extendleft(email_undeliverable(email=email))
                else:
                    result.retrying += 1
                    if outcome == "server_down":
                        # The mail server is unreachable: give back the rest untried, for the next tick.
                        _email_release([e.pk for e in emails[i + 1 :]], claimed_at=claimed_at)
                        return result
    finally:
        try:
            connection.close()
        except Exception:  # noqa: BLE001 - closing a broken connection must not mask the result
            logger.debug("closing the SMTP connection failed", exc_info=True)
    return result


def _email_claim(pks: list[int], *, now: datetime, claimed_at: datetime) -> list[OutboundEmail]:
    """Claim these PENDING rows (pending -> sending) with a lease each: of two racing workers, one gets a row."""
    # Due by the caller's clock, or by now: an alert forwarded during this call is due at once.
    claimable = OutboundEmail.objects.filter(status=OutboundEmail.Status.PENDING, due_at__lte=max(now, claimed_at))
    lease_until = Case(
        When(kind__in=URGENT_KINDS, then=Value(claimed_at + email_lease(OutboundEmail.Kind.SEVERE_ALERT))),
        default=Value(claimed_at + email_lease(OutboundEmail.Kind.FOLLOWUP_PROMPT)),
    )
    with transaction.atomic():
        if connection_supports_row_locks():
            # Lock first, then update what is locked: the rows this worker claimed are exactly these.
            mine = list(claimable.filter(pk__in=pks).select_for_update(skip_locked=True).values_list("pk", flat=True))
        else:  # SQLite: the write transaction is exclusive, so what is still pending here is this worker's
            mine = list(claimable.filter(pk__in=pks).values_list("pk", flat=True))
        OutboundEmail.objects.filter(pk__in=mine).update(
            status=OutboundEmail.Status.SENDING, claimed_at=claimed_at, attempts=F("attempts") + 1, lease_until=lease_until
        )
    order = {pk: i for i, pk in enumerate(pks)}
    return sorted(OutboundEmail.objects.filter(pk__in=mine), key=lambda e: order[e.pk])


def _email_release(pks: list[int], *, claimed_at: datetime) -> None:
    """Give back rows this worker claimed (at claimed_at) but never tried: the attempt did not happen."""
    if pks:
        OutboundEmail.objects.filter(pk__in=pks, status=OutboundEmail.Status.SENDING, claimed_at=claimed_at).update(
            status=OutboundEmail.Status.PENDING, claimed_at=None, lease_until=None, attempts=F("attempts") - 1
        )


def connection_supports_row_locks() -> bool:
    from django.db import connection

    return connection.features.has_select_for_update_skip_locked


def _email_send_one(*, email: OutboundEmail, connection: Any, started_at: datetime) -> str:
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to_email],
        connection=connection,
        headers={"Message-ID": email.message_id},
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    try:
        if getattr(connection, "connection", False) is None:  # an SMTP backend, not yet connected
            # Opened here, not by send(): Django closes a connection that send() opened,
            # and one connection should carry the whole batch.
            connection.open()
        message.send()
    except (SMTPException, OSError) as error:
        # Tried often enough: a message the server keeps refusing is treated as refused for good.
        permanent = _is_permanent(error) or email.attempts >= settings.EMAIL_MAX_ATTEMPTS
        finished = timezone.now()
        retry_at = finished + schedule.retry_backoff(
            email.attempts, base_seconds=settings.EMAIL_RETRY_BASE_SECONDS, cap_seconds=settings.EMAIL_RETRY_CAP_SECONDS
        )
        error_text = repr(error)[:2000]
        if permanent and not _is_permanent(error):
            error_text = f"gave up after {email.attempts} attempts: {error_text}"[:2000]
        with transaction.atomic():
            DeliveryAttempt.objects.create(
                email=email, started_at=started_at, finished_at=finished, succeeded=False, error=error_text
            )
            OutboundEmail.objects.filter(pk=email.pk, status=OutboundEmail.Status.SENDING).update(
                status=OutboundEmail.Status.FAILED if permanent else OutboundEmail.Status.PENDING,
                due_at=retry_at,
                claimed_at=None,
                lease_until=None,
                last_error=error_text,
            )
        email.last_error = error_text
        level = logging.ERROR if (permanent or email.kind in URGENT_KINDS or email.attempts >= 3) else logging.WARNING
        logger.log(level, "E-mail %s (%s) attempt %s failed%s: %r", email.pk, email.kind, email.attempts,
                   " permanently" if permanent else f", retry at {retry_at:%H:%M:%S}", error)  # fmt: skip
        try:
            connection.close()  # start the next message on a fresh connection
        except Exception:  # noqa: BLE001
            pass
        if permanent:
            return "failed"
        return "server_down" if isinstance(error, OSError | SMTPServerDisconnected | SMTPConnectError) else "retrying"
    return "sent"


# Which follow-up time a delivered e-mail sets: the prompt's, or its reminder's.
_FOLLOWUP_TIME_FIELD = {
    OutboundEmail.Kind.FOLLOWUP_PROMPT: "sent_at",
    OutboundEmail.Kind.PRE_INFUSION: "sent_at",
    OutboundEmail.Kind.FOLLOWUP_REMINDER: "reminder_sent_at",
}
# Tries at recording a delivery before giving up (the lease then has it resent, with its Message-ID).
RECORD_ATTEMPTS = 4


def _email_record_sent(email: OutboundEmail, *, started_at: datetime, finished_at: datetime) -> None:
    """Record that the mail server accepted this message: SENT, its attempt, its follow-up's time.

    All or nothing, and again on a fresh database connection if the first one drops: the message is
    out, and a record lost to a blip would have the lease send it a second time.
    """
    followup_field = _FOLLOWUP_TIME_FIELD.get(email.kind) if email.followup_id else None

    def record() -> None:
        with transaction.atomic():
            # Conditional, so that a retry after a commit whose answer was lost records nothing twice.
            if not OutboundEmail.objects.filter(pk=email.pk, status=OutboundEmail.Status.SENDING).update(
                status=OutboundEmail.Status.SENT, sent_at=finished_at, claimed_at=None, lease_until=None, last_error=""
            ):
                return
            DeliveryAttempt.objects.create(email=email, started_at=started_at, finished_at=finished_at, succeeded=True)
            if followup_field:
                FollowUp.objects.filter(pk=email.followup_id, **{f"{followup_field}__isnull": True}).update(
                    **{followup_field: finished_at}
                )

    for attempt in range(1, RECORD_ATTEMPTS + 1):
        try:
            record()
            return
        except (OperationalError, InterfaceError):
            if db_connection.in_atomic_block or attempt == RECORD_ATTEMPTS:
                raise  # inside a caller's transaction a fresh connection would lose its work: let it fail
            logger.warning("Recording e-mail %s as sent failed (attempt %s); retrying on a fresh connection",
                           email.pk, attempt, exc_info=True)  # fmt: skip
            db_connection.close()
            time.sleep(0.2 * 2**attempt)


def _is_permanent(error: Exception) -> bool:
    """5xx answers mean the server will never take this message; everything else is worth retrying."""
    if isinstance(error, SMTPRecipientsRefused):
        codes = [code for code, _msg in error.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    if isinstance(error, SMTPResponseException):
        return error.smtp_code >= 500
    return False


def _email_recover_abandoned(*, now: datetime) -> int:
    """Put back rows a dead worker left in SENDING past their lease, recording the lost attempt.

    A live worker gives back what it has not tried after a third of the lease (email_deliver), so a
    row past its lease was left by a worker that died mid-send (or lost its database).
    """
    stale = list(
        OutboundEmail.objects.filter(status=OutboundEmail.Status.SENDING, lease_until__lt=now).values_list(
            "pk", "claimed_at"
        )
    )
    recovered = 0
    for pk, claimed_at in stale:
        with transaction.atomic():
            if OutboundEmail.objects.filter(pk=pk, status=OutboundEmail.Status.SENDING, claimed_at=claimed_at).update(
                status=OutboundEmail.Status.PENDING, claimed_at=None, lease_until=None, due_at=now,
                last_error="worker stopped mid-send",
            ):  # fmt: skip
                DeliveryAttempt.objects.create(
                    email_id=pk, started_at=claimed_at, finished_at=now, succeeded=False, error="worker stopped mid-send"
                )
                recovered += 1
    if recovered:
        logger.warning("Recovered %s e-mails abandoned mid-send", recovered)
    return recovered


# --- Messages that cannot be delivered ---------------------------------------------------------------

_PATIENT_MESSAGE_KINDS = (
    OutboundEmail.Kind.FOLLOWUP_PROMPT, OutboundEmail.Kind.FOLLOWUP_REMINDER, OutboundEmail.Kind.PRE_INFUSION,
)  # fmt: skip


def email_undeliverable(*, email: OutboundEmail) -> list[int]:
    """A message refused for good (or given up on): tell someone who can act.

    A prompt or reminder to a patient: the follow-up is marked undeliverable and the clinic sees
    "cannot reach patient" with the reason. An alert to a clinician: it goes at once to the clinic's
    other clinicians and admins. Returns the ids of e-mails to send at once.
    """
    if email.kind in _PATIENT_MESSAGE_KINDS and email.followup_id:
        followup_undeliverable(followup_id=email.followup_id, reason=_refusal(email))
        return []
    if email.kind in URGENT_KINDS and email.flag_id:
        return flag_alert_forward(failed=email)
    logger.error("E-mail %s (%s) to %s could not be delivered: %s", email.pk, email.kind, email.to_email,
                 email.last_error)  # fmt: skip
    return []


def _refusal(email: OutboundEmail) -> str:
    return _("E-mail to %(address)s could not be delivered: %(error)s") % {
        "address": email.to_email, "error": email.last_error,
    }  # fmt: skip


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
        _("the day-before reminder") if followup.kind == FollowUp.Kind.PRE_INFUSION
        else _("the +%(hours)s h follow-up prompt") % {"hours": followup.offset_hours}
    )  # fmt: skip
    note = f"{what}: {reason}"
    flag = (
        Flag.objects.select_for_update()
        .filter(patient=patient, kind=Flag.Kind.UNREACHABLE)
        .exclude(status=Flag.Status.CLOSED)
        .first()
    )
    if flag is None:
        flag = Flag.objects.create(clinic_id=patient.clinic_id, patient=patient, followup=followup,
                                   kind=Flag.Kind.UNREACHABLE, reason=reason[:500], created_at=now)  # fmt: skip
    FlagEvent.objects.create(flag=flag, actor=None, action=FlagEvent.Action.NOTE, note=note[:4000])
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
        "address": failed.to_email, "error": failed.last_error,
    }  # fmt: skip
    FlagEvent.objects.create(flag=flag, actor=None, action=FlagEvent.Action.NOTE, note=note[:4000])
    url = settings.SITE_URL + reverse("flag_detail", args=[flag.pk])
    escalation = flag.alerts_sent > 1
    ids = []
    for recipient in staff:
        ids.append(email_queue(
            kind=OutboundEmail.Kind.ESCALATION if escalation else OutboundEmail.Kind.SEVERE_ALERT,
            template="severe-alert", to_user=recipient, flag=flag, clinic=clinic,
            context={"flag": flag, "patient": flag.patient, "clinic": clinic, "url": url, "escalation": escalation,
                     "round": flag.alerts_sent, "forwarded": True},
        ).pk)  # fmt: skip
    if not ids:
        logger.error("Severe event %s: the alert to %s bounced and no other staff of clinic %s can be alerted",
                     flag.pk, failed.to_email, clinic.pk)  # fmt: skip
    return ids


# --- The dispatcher: what is due, claimed once, turned into e-mail ---------------------------


def _followup_links(followup: FollowUp) -> dict[str, str]:
    token = followup_token(followup=followup)
    return {
        "no_symptoms_url": settings.SITE_URL + reverse("followup_answer", args=[token]),
        "report_url": settings.SITE_URL + reverse("followup_report", args=[token]),
        "preferences_url": _preferences_url(followup.patient),
    }


def _preferences_url(user: User) -> str:
    return settings.SITE_URL + reverse("email_preferences", args=[email_preferences_token(user=user)])


def followups_queue_due(*, now: datetime, limit: int = 1000, batch: int = 250) -> int:
    """Turn due follow-ups (prompts and day-before reminders) into e-mails, each exactly once.

    Works through at most `limit` due rows, oldest first, `batch` at a time: each batch is
    claimed (rows locked, SKIP LOCKED on PostgreSQL, so two dispatchers share the work) and its
    e-mails inserted in one transaction. Rows in their patient's quiet hours stay scheduled.
    """
    queued = examined = 0
    after: tuple[datetime, int] | None = None  # keyset cursor: rows left for the morning are passed over
    while examined < limit:
        with transaction.atomic():
            due = FollowUp.objects.filter(status=FollowUp.Status.SCHEDULED, due_at__lte=now)
            if after is not None:
                due = due.filter(Q(due_at__gt=after[0]) | Q(due_at=after[0], pk__gt=after[1]))
            rows = list(
                due.select_related("infusion", "patient__clinic")
                .select_for_update(skip_locked=True, of=("self",))
                .order_by("due_at", "pk")[: min(batch, limit - examined)]
            )
            if not rows:
                break
            examined += len(rows)
            after = (rows[-1].due_at, rows[-1].pk)
            queued += _followups_claim_and_queue(rows, now=now)
    return queued


def followups_due_count(*, limit: int) -> int:
    """How many follow-ups are due now, counted up to `limit` (an indexed, bounded count)."""
    return FollowUp.objects.filter(status=FollowUp.Status.SCHEDULED, due_at__lte=timezone.now())[:limit].count()


def _followups_claim_and_queue(rows: list[FollowUp], *, now: datetime) -> int:
    """Claim locked SCHEDULED rows and queue their e-mails; call inside the transaction that locked them."""
    by_status: dict[str, list[FollowUp]] = {}
    for followup in rows:
        patient, clinic = followup.patient, followup.patient.clinic
        if schedule.in_quiet_hours(now, patient.tzinfo, clinic.quiet_hours_start, clinic.quiet_hours_end):
            continue  # caught up late at night: wait for the morning
        is_prompt = followup.kind == FollowUp.Kind.PROMPT
        if not patient.is_active or not patient.followups_allowed(now):
            new_status = FollowUp.Status.SKIPPED
        elif not is_prompt and (followup.infusion.status != Infusion.Status.PLANNED or followup.infusion.started_at <= now):
            new_status = FollowUp.Status.CANCELLED
        else:
            new_status = FollowUp.Status.PROMPTED if is_prompt else FollowUp.Status.DONE
        by_status.setdefault(new_status, []).append(followup)
    emails = []
    for new_status, group in by_status.items():
        # The conditional update is the claim: of two dispatchers, one wins. The rows are locked
        # (or, on SQLite, the write transaction is exclusive), so it claims the whole group;
        # anything else is a bug, and rolling the batch back is the safe answer.
        claimed = FollowUp.objects.filter(pk__in=[f.pk for f in group], status=FollowUp.Status.SCHEDULED).update(
            status=new_status, prompted_at=now, closed_at=None if new_status == FollowUp.Status.PROMPTED else now
        )
        if claimed != len(group):
            raise IntegrityError(f"claimed {claimed} of {len(group)} locked follow-ups")
        if new_status not in (FollowUp.Status.PROMPTED, FollowUp.Status.DONE):
            continue
        for followup in group:
            patient, clinic = followup.patient, followup.patient.clinic
            context = {"followup": followup, "infusion": followup.infusion, "patient": patient, "clinic": clinic}
            if followup.kind == FollowUp.Kind.PROMPT:
                context.update(_followup_links(followup))
                kind, template = OutboundEmail.Kind.FOLLOWUP_PROMPT, "followup-prompt"
            else:
                context["preferences_url"] = _preferences_url(patient)
                kind, template = OutboundEmail.Kind.PRE_INFUSION, "pre-infusion"
            emails.append(email_build(kind=kind, template=template, to_user=patient, context=context,
                                      followup=followup, clinic=clinic))  # fmt: skip
    OutboundEmail.objects.bulk_create(emails)
    return len(emails)


def followups_queue_reminders(*, now: datetime) -> int:
    """One reminder for a prompt still unanswered after the clinic's delay."""
    queued = 0
    for clinic in Clinic.objects.all():
        threshold = now - timedelta(hours=clinic.prompt_reminder_after_hours)
        due = FollowUp.objects.filter(
            status=FollowUp.Status.PROMPTED, kind=FollowUp.Kind.PROMPT, sent_at__lte=threshold, patient__clinic=clinic
        ).select_related("infusion", "patient")
        for followup in due:
            patient = followup.patient
            if schedule.in_quiet_hours(now, patient.tzinfo, clinic.quiet_hours_start, clinic.quiet_hours_end):
                continue
            with transaction.atomic():
                skip = not patient.is_active or not patient.followups_allowed(now)
                if not FollowUp.objects.filter(pk=followup.pk, status=FollowUp.Status.PROMPTED).update(
                    status=FollowUp.Status.REMINDED, reminded_at=now,
                    # With e-mails paused, no reminder goes out, and the no-response clock starts now.
                    reminder_sent_at=now if skip else None,
                ):  # fmt: skip
                    continue
                if skip:
                    continue
                email_queue(
                    kind=OutboundEmail.Kind.FOLLOWUP_REMINDER,
                    template="followup-reminder",
                    to_user=patient,
                    context={"followup": followup, "infusion": followup.infusion, "clinic": clinic,
                             **_followup_links(followup)},
                    followup=followup,
                    clinic=clinic,
                )  # fmt: skip
                queued += 1
    return queued


def followups_mark_no_response(*, now: datetime) -> int:
    """A prompt still unanswered a reminder-delay after its reminder becomes a "no response" flag."""
    marked = 0
    for clinic in Clinic.objects.all():
        threshold = now - timedelta(hours=clinic.prompt_reminder_after_hours)
        due = FollowUp.objects.filter(
            status=FollowUp.Status.REMINDED, reminder_sent_at__lte=threshold, patient__clinic=clinic
        ).values_list("pk", "patient_id")
        for pk, patient_id in due:
            with transaction.atomic():
                if FollowUp.objects.filter(pk=pk, status=FollowUp.Status.REMINDED).update(
                    status=FollowUp.Status.NO_RESPONSE, closed_at=now
                ):
                    Flag.objects.create(
                        clinic=clinic, patient_id=patient_id, followup_id=pk, kind=Flag.Kind.NO_RESPONSE, created_at=now
                    )
                    marked += 1
    return marked


def flags_queue_alerts(*, now: datetime, flag_ids: Iterable[int] | None = None) -> list[int]:
    """Alert a clinic's clinicians about each severe event that is due; escalate while unacknowledged.

    Returns the ids of the queued e-mails. The claim compares alerts_sent, so an alert
    round is queued once however many dispatchers run.
    """
    email_ids: list[int] = []
    due = Flag.objects.filter(
        status=Flag.Status.OPEN, kind=Flag.Kind.SEVERE_EVENT, next_alert_at__lte=now
    ).select_related("clinic", "patient")
    if flag_ids is not None:
        due = due.filter(pk__in=list(flag_ids))
    for flag in due:
        clinic = flag.clinic
        escalation = flag.alerts_sent >= 1
        wait = clinic.escalation_repeat_minutes if escalation else clinic.escalation_after_minutes
        with transaction.atomic():
            if not Flag.objects.filter(pk=flag.pk, status=Flag.Status.OPEN, alerts_sent=flag.alerts_sent).update(
                alerts_sent=F("alerts_sent") + 1, next_alert_at=now + timedelta(minutes=wait)
            ):
                continue
            roles = [User.Role.CLINICIAN, User.Role.CLINIC_ADMIN] if escalation else [User.Role.CLINICIAN]
            recipients = list(User.objects.filter(clinic=clinic, role__in=roles, is_active=True).order_by("pk"))
            if not recipients:
                logger.error("Severe event %s: clinic %s has no active clinician to alert", flag.pk, clinic.pk)
            url = settings.SITE_URL + reverse("flag_detail", args=[flag.pk])
            for recipient in recipients:
                email = email_queue(
                    kind=OutboundEmail.Kind.ESCALATION if escalation else OutboundEmail.Kind.SEVERE_ALERT,
                    template="severe-alert",
                    to_user=recipient,
                    context={"flag": flag, "patient": flag.patient, "clinic": clinic, "url": url,
                             "escalation": escalation, "round": flag.alerts_sent + 1},
                    flag=flag,
                    clinic=clinic,
                )  # fmt: skip
                email_ids.append(email.pk)
    return email_ids


@dataclass(frozen=True)
class ClinicOpenItems:
    severe_events: int
    review_flags: int
    no_response: int
    unreachable: int = 0

    @property
    def total(self) -> int:
        return self.severe_events + self.review_flags + self.no_response + self.unreachable


def clinic_open_items(*, clinic: Clinic, now: datetime | None = None) -> ClinicOpenItems:
    """What the daily reminder lists: unacknowledged severe events; review, cannot-reach and no-response flags not closed."""
    counts = Flag.objects.filter(clinic=clinic).aggregate(
        severe_events=Count("pk", filter=Q(kind=Flag.Kind.SEVERE_EVENT, status=Flag.Status.OPEN)),
        review_flags=Count(
            "pk",
            filter=Q(kind=Flag.Kind.REVIEW)
            & ~Q(status=Flag.Status.CLOSED)
            & (Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=now or timezone.now())),
        ),
        no_response=Count("pk", filter=Q(kind=Flag.Kind.NO_RESPONSE) & ~Q(status=Flag.Status.CLOSED)),
        unreachable=Count("pk", filter=Q(kind=Flag.Kind.UNREACHABLE) & ~Q(status=Flag.Status.CLOSED)),
    )
    return ClinicOpenItems(**counts)


def digests_queue(*, now: datetime) -> int:
    """Each clinic's daily reminder, once per local day, only when there is something to do."""
    queued = 0
    for clinic in Clinic.objects.all():
        local_date, due = schedule.daily_time_passed(now=now, tz=clinic.tzinfo, at=clinic.daily_reminder_at)
        if not due or DigestRun.objects.filter(clinic=clinic, local_date=local_date).exists():
            continue
        try:
            with transaction.atomic():
                run = DigestRun.objects.create(clinic=clinic, local_date=local_date, created_at=now)
                items = clinic_open_items(clinic=clinic, now=now)
                if items.total == 0:
                    continue  # nothing to do: no e-mail
                clinicians = User.objects.filter(clinic=clinic, role=User.Role.CLINICIAN, is_active=True)
                for clinician in clinicians:
                    email_queue(
                        kind=OutboundEmail.Kind.DAILY_DIGEST,
                        template="daily-digest",
                        to_user=clinician,
                        context={"clinic": clinic, "items": items, "local_date": local_date,
                                 "url": settings.SITE_URL + reverse("clinic_flags")},
                        clinic=clinic,
                    )  # fmt: skip
                    run.emails_queued += 1
                    queued += 1
                run.save(update_fields=["emails_queued"])
        except IntegrityError:
            continue  # another dispatcher created today's run first
    return queued


@dataclass
class DispatchResult:
    prompts_queued: int = 0
    reminders_queued: int = 0
    no_response: int = 0
    alerts_queued: int = 0
    digests_queued: int = 0
    delivery: DeliveryResult = field(default_factory=DeliveryResult)

    def as_dict(self) -> dict[str, int]:
        return {
            "prompts_queued": self.prompts_queued,
            "reminders_queued": self.reminders_queued,
            "no_response": self.no_response,
            "alerts_queued": self.alerts_queued,
            "digests_queued": self.digests_queued,
            "sent": self.delivery.sent,
            "retrying": self.delivery.retrying,
            "failed": self.delivery.failed,
            "recovered": self.delivery.recovered,
        }


def dispatch_due(*, now: datetime | None = None, deliver_for_seconds: float | None = None) -> DispatchResult:
    """One dispatcher pass: find what is due, queue its e-mails, deliver pending e-mails.

    Safe to run any number of times, by any number of workers at once. Delivery stops starting new
    messages after ``deliver_for_seconds`` (EMAIL_DELIVERY_BUDGET_SECONDS), well inside Celery's limits.
    """
    now = now or timezone.now()
    result = DispatchResult(
        alerts_queued=len(flags_queue_alerts(now=now)),  # urgent first
        prompts_queued=followups_queue_due(now=now),
        reminders_queued=followups_queue_reminders(now=now),
        no_response=followups_mark_no_response(now=now),
        digests_queued=digests_queue(now=now),
    )
    budget = settings.EMAIL_DELIVERY_BUDGET_SECONDS if deliver_for_seconds is None else deliver_for_seconds
    deadline = timezone.now() + timedelta(seconds=budget)
    more_due = result.prompts_queued > 0
    while True:
        batch = email_deliver(now=timezone.now(), deadline=deadline)
        result.delivery += batch
        if timezone.now() >= deadline:
            break
        if batch.retrying and not batch.sent:
            break  # the mail server is failing: back off until the next tick
        if more_due:
            # A large backlog (after an outage, or a busy morning): keep queueing and delivering
            # in this tick rather than 1,000 prompts a minute.
            queued = followups_queue_due(now=now)
            result.prompts_queued += queued
            more_due = queued > 0
        elif batch.sent + batch.retrying + batch.failed == 0:
            break
    return result


DISPATCHER = "dispatcher"


def dispatch_tick() -> DispatchResult:
    """The minute tick: one dispatcher pass, with a heartbeat row before and after it for /health/, and,
    when DISPATCH_HEARTBEAT_URL is set, a request to it after each pass (a dead man's switch elsewhere)."""
    started = timezone.now()
    Heartbeat.objects.update_or_create(name=DISPATCHER, defaults={"started_at": started, "finished_at": None})
    result = dispatch_due(now=started)
    Heartbeat.objects.filter(name=DISPATCHER, started_at=started).update(
        finished_at=timezone.now(), result=result.as_dict()
    )
    heartbeat_ping()
    return result


def heartbeat_ping() -> bool:
    """Tell an outside monitor (healthchecks.io style) that a pass ran; whether it answered 2xx."""
    url = settings.DISPATCH_HEARTBEAT_URL
    if not url:
        return False
    try:
        # The operator's own URL (http or https), not user input.
        with urllib.request.urlopen(url, timeout=settings.DISPATCH_HEARTBEAT_TIMEOUT) as response:  # nosec B310
            return 200 <= response.status < 300
    except (OSError, ValueError) as error:
        logger.warning("Dispatcher heartbeat to %s failed: %r", url, error)
        return False


@dataclass(frozen=True)
class EngineHealth:
    """What /health/ reports of the follow-up and alert engine."""

    last_tick_at: datetime | None
    last_tick_finished_at: datetime | None
    oldest_unsent_at: datetime | None
    checked_at: datetime

    @property
    def tick_age(self) -> float | None:
        return None if self.last_tick_at is None else (self.checked_at - self.last_tick_at).total_seconds()

    @property
    def oldest_unsent_age(self) -> float:
        return 0.0 if self.oldest_unsent_at is None else max(0.0, (self.checked_at - self.oldest_unsent_at).total_seconds())

    @property
    def problems(self) -> list[str]:
        found = []
        if self.tick_age is None:
            found.append("the dispatcher has never run")
        elif self.tick_age > settings.HEALTH_MAX_TICK_AGE_SECONDS:
            found.append(f"the dispatcher's last pass started {self.tick_age:.0f} s ago "
                         f"(more than {settings.HEALTH_MAX_TICK_AGE_SECONDS} s: is beat or every worker stopped?)")  # fmt: skip
        if self.oldest_unsent_age > settings.HEALTH_MAX_UNSENT_AGE_SECONDS:
            found.append(f"a message has waited {self.oldest_unsent_age:.0f} s unsent "
                         f"(more than {settings.HEALTH_MAX_UNSENT_AGE_SECONDS} s: is the mail server refusing?)")  # fmt: skip
        return found


def engine_health() -> EngineHealth:
    """The dispatcher's last pass, and the oldest message queued and not yet sent (two indexed reads)."""
    beat = Heartbeat.objects.filter(name=DISPATCHER).first()
    oldest = (
        OutboundEmail.objects.filter(status__in=[OutboundEmail.Status.PENDING, OutboundEmail.Status.SENDING])
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    return EngineHealth(
        last_tick_at=beat.started_at if beat else None,
        last_tick_finished_at=beat.finished_at if beat else None,
        oldest_unsent_at=oldest,
        checked_at=timezone.now(),
    )


def flag_alert_now(*, flag_id: int) -> DeliveryResult:
    """Queue and deliver a severe event's first alert straight away (called by the urgent task)."""
    email_ids = flags_queue_alerts(now=timezone.now(), flag_ids=[flag_id])
    if not email_ids:
        return DeliveryResult()
    return email_deliver(email_ids=email_ids)


def _count_subquery(queryset) -> Coalesce:
    """An integer subquery counting queryset rows per outer patient (no join fan-out)."""
    counted = queryset.values("patient").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


PATIENT_SORTS = {
    "name": ["full_name", "pk"],
    "-last_infusion": [F("last_infusion_at").desc(nulls_last=True), "full_name"],
    "next_infusion": [F("next_infusion_at").asc(nulls_last=True), "full_name"],
    "-open_flags": ["-open_flags", "full_name"],
}


def clinic_patient_rows(*, clinic: Clinic, query: str = "", sort: str = "name"):
    """The clinic's patients with last/next infusion, open flags and unanswered prompts, in one query."""
    now = timezone.now()
    given = Infusion.objects.filter(patient=OuterRef("pk"), status=Infusion.Status.GIVEN).order_by("-started_at")
    planned = Infusion.objects.filter(
        patient=OuterRef("pk"), status=Infusion.Status.PLANNED, started_at__gt=now
    ).order_by("started_at")
    rows = User.objects.filter(clinic=clinic, role=User.Role.PATIENT).annotate(
        last_infusion_at=Subquery(given.values("started_at")[:1]),
        next_infusion_at=Subquery(planned.values("started_at")[:1]),
        open_flags=_count_subquery(Flag.objects.filter(patient=OuterRef("pk")).exclude(status=Flag.Status.CLOSED)),
        unreachable=Exists(
            Flag.objects.filter(patient=OuterRef("pk"), kind=Flag.Kind.UNREACHABLE).exclude(status=Flag.Status.CLOSED)
        ),
        unanswered_prompts=_count_subquery(
            FollowUp.objects.filter(patient=OuterRef("pk"), status__in=OPEN_PROMPT_STATUSES)
        ),
    )
    if query:
        rows = rows.filter(Q(full_name__icontains=query) | Q(email__icontains=query))
    return rows.order_by(*PATIENT_SORTS.get(sort or "name", PATIENT_SORTS["name"]))


# --- Clinician queue and reports -----------------------------------------------------------------


def clinic_queue(
    *,
    clinic: Clinic,
    kind: str = "",
    status: str = "active",
    product: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
):
    """The triage queue: severe first, then review, then cannot reach, then no response; newest first within each.

    "active" (the default) hides closed flags and review flags snoozed into the future. Load what a
    page of it shows with queue_details().
    """
    now = timezone.now()
    flags = (
        Flag.objects.filter(clinic=clinic)
        # Two joins, the rest prefetched: PostgreSQL spent 9-13 ms *planning* the ten-table join
        # that select_related made of all of them (and under 1 ms running it); this plans in under 1 ms.
        .select_related("patient", "report__infusion")
        # What a row shows (badges.queue_row): the joined rows are wide (a user's password hash, an
        # infusion's notes) and each time among them is parsed in Python, for every row.
        .only(
            "clinic_id", "patient_id", "report_id", "vitals_id", "followup_id", "kind", "status", "outcome", "reason",
            "created_at", "snoozed_until", "acknowledged_by_id", "assigned_to_id", "patient__full_name",
            "report__infusion_id", "report__clinician_level", "report__infusion__started_at",
            "report__infusion__product", "report__infusion__product_other", "report__infusion__lot_number",
        )
        .annotate(
            kind_rank=Case(
                When(kind=Flag.Kind.SEVERE_EVENT, then=Value(0)),
                When(kind=Flag.Kind.REVIEW, then=Value(1)),
                When(kind=Flag.Kind.UNREACHABLE, then=Value(2)),
                default=Value(3),
                output_field=IntegerField(),
            )
        )
    )
    if status in ("", "active"):
        flags = _needing_action(flags, now=now)
    elif status == "open":
        flags = flags.filter(status=Flag.Status.OPEN).filter(_not_snoozed(now))
    elif status == "snoozed":
        flags = flags.exclude(status=Flag.Status.CLOSED).filter(snoozed_until__gt=now)
    elif status == "closed":
        flags = flags.filter(status=Flag.Status.CLOSED)
    if kind:
        flags = flags.filter(kind=kind)
    if product:
        flags = flags.filter(
            Q(report__infusion__product=product) | Q(vitals__infusion__product=product)
            | Q(followup__infusion__product=product)
        )  # fmt: skip
    tz = timezone.get_current_timezone()
    if date_from:
        flags = flags.filter(created_at__gte=datetime.combine(date_from, datetime.min.time(), tzinfo=tz))
    if date_to:
        flags = flags.filter(created_at__lt=datetime.combine(date_to + timedelta(days=1), datetime.min.time(), tzinfo=tz))
    return flags.order_by("kind_rank", "-created_at", "-pk")


def queue_details(flags: Iterable[Flag]) -> list[Flag]:
    """A page of the triage queue with what its rows show (badges.queue_row), in as few queries as it needs.

    Report flags get their report's ``symptom_list`` in one query. Vitals, follow-ups and the staff who
    acknowledged or were assigned are asked for only the rows that have them: most rows have none, and
    prefetch_related asked of every row spent ~1.3 ms of the page finding nothing.
    """
    flags = list(flags)
    for present, lookup in (
        ("vitals_id", "vitals__infusion"), ("followup_id", "followup__infusion"),
        ("acknowledged_by_id", "acknowledged_by"), ("assigned_to_id", "assigned_to"),
    ):  # fmt: skip
        _prefetch_where(flags, present, lookup)
    attach_symptoms([flag.report for flag in flags if flag.report_id])
    return flags


def attach_symptoms(reports: Sequence[ReactionReport]) -> None:
    """Set ``symptom_list`` on each report: its symptoms in the order they were entered, all in one query.

    Grouped here rather than by prefetch_related, which spends ~25 µs a report more on the same query.
    """
    by_report: defaultdict[int, list[ReportedSymptom]] = defaultdict(list)
    if reports:
        for symptom in ReportedSymptom.objects.filter(report_id__in=[report.pk for report in reports]).order_by("pk"):
            by_report[symptom.report_id].append(symptom)
    for report in reports:
        report.symptom_list = by_report[report.pk]


def clinic_queue_count(*, clinic_id: int) -> int:
    """The navigation badge: flags needing action, snoozed ones excluded."""
    return _needing_action(Flag.objects.filter(clinic_id=clinic_id), now=timezone.now()).count()


def _not_snoozed(now: datetime) -> Q:
    return Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=now)


def _needing_action(flags: QuerySet[Flag], *, now: datetime) -> QuerySet[Flag]:
    """The flags the badge counts and the "active" queue lists: not closed, not snoozed into the future.

    One definition for both: the triage view hands its count to the badge (context_processors).
    """
    return flags.exclude(status=Flag.Status.CLOSED).filter(_not_snoozed(now))


def patient_timeline(*, patient: User):
    """The patient's infusions, newest first, to be paged; load a page's details with timeline_details().

    Each infusion carries whether it has vitals and rate changes at all (``has_vitals``,
    ``has_rate_changes``), so that a page of home infusions, which have neither, does not ask.
    """
    return Infusion.objects.filter(patient=patient).annotate(
        has_vitals=Exists(Vitals.objects.filter(infusion=OuterRef("pk"))),
        has_rate_changes=Exists(RateChange.objects.filter(infusion=OuterRef("pk"))),
    )


def timeline_details(infusions: Iterable[Infusion]) -> list[Infusion]:
    """Everything that happened around these infusions, as plain lists, in a bounded number of queries.

    Sets ``vitals_list``, ``rate_change_list``, ``sent_prompts`` (prompts that went out, not the scheduled
    or cancelled ones) and ``report_list`` on each infusion, and ``symptom_list``,
    ``reclassification_list`` and ``flag_list`` (each flag with ``shown_events``: notes and closing) on
    each report. The relations most infusions and reports never have (vitals, rate changes,
    reclassifications, flags) are only asked for the rows an EXISTS says have some: on this stack each
    query costs a page 1-2 ms, more than the rows themselves.
    """
    infusions = list(infusions)
    reports = ReactionReport.objects.annotate(
        has_reclassifications=Exists(ReportReclassification.objects.filter(report=OuterRef("pk"))),
        has_flags=Exists(Flag.objects.filter(report=OuterRef("pk"))),
    )
    prefetch_related_objects(
        infusions,
        Prefetch("reports", queryset=reports, to_attr="report_list"),
        # Only what a prompt's line shows: a follow-up has eight times, each parsed in Python, ~30 rows a page.
        Prefetch(
            "followups",
            queryset=FollowUp.objects.filter(kind=FollowUp.Kind.PROMPT).exclude(
                status__in=[FollowUp.Status.SCHEDULED, FollowUp.Status.CANCELLED]).order_by("due_at")
                .only("infusion_id", "offset_hours", "status", "answer", "answered_at"),
            to_attr="sent_prompts",
        ),
    )  # fmt: skip
    _prefetch_where(infusions, "has_vitals", Prefetch("vitals", queryset=Vitals.objects.all(), to_attr="vitals_list"))
    _prefetch_where(
        infusions, "has_rate_changes", Prefetch("rate_changes", queryset=RateChange.objects.all(), to_attr="rate_change_list")
    )
    all_reports = [report for infusion in infusions for report in infusion.report_list]
    attach_symptoms(all_reports)  # as the queue and the home page do
    _prefetch_where(all_reports, "has_reclassifications", Prefetch(
        "reclassifications", queryset=ReportReclassification.objects.select_related("by"), to_attr="reclassification_list"
    ))  # fmt: skip
    shown_events = FlagEvent.objects.filter(action__in=[FlagEvent.Action.NOTE, FlagEvent.Action.CLOSED]).select_related(
        "actor"
    )
    _prefetch_where(all_reports, "has_flags", Prefetch(
        "flags", queryset=Flag.objects.prefetch_related(Prefetch("events", queryset=shown_events, to_attr="shown_events")),
        to_attr="flag_list",
    ))  # fmt: skip
    return infusions


def _prefetch_where(instances: list[Any], present: str, lookup: str | Prefetch) -> None:
    """Prefetch only for the instances whose attribute `present` (an annotation, a foreign key's id) is set.

    With a Prefetch's ``to_attr``, the others get an empty list there; a foreign key left empty needs
    nothing (Django answers None without a query).
    """
    having = [instance for instance in instances if getattr(instance, present)]
    to_attr = lookup.to_attr if isinstance(lookup, Prefetch) else None
    if to_attr:
        for instance in instances:
            if not getattr(instance, present):
                setattr(instance, to_attr, [])
    if having:
        prefetch_related_objects(having, lookup)


def product_report(*, clinic: Clinic, date_from: date | None = None, date_to: date | None = None) -> dict[str, Any]:
    """Infusions, patients and reaction rates per product and per lot, for a date range."""
    infusions = Infusion.objects.filter(patient__clinic=clinic, status=Infusion.Status.GIVEN)
    tz = timezone.get_current_timezone()
    if date_from:
        infusions = infusions.filter(started_at__gte=datetime.combine(date_from, datetime.min.time(), tzinfo=tz))
    if date_to:
        infusions = infusions.filter(
            started_at__lt=datetime.combine(date_to + timedelta(days=1), datetime.min.time(), tzinfo=tz)
        )
    # One row per infusion (no join fan-out over its reports): whether it has any report, any severe one.
    # An infusion counts as having a severe reaction if any of its reports is severe after review.
    reports = ReactionReport.objects.filter(infusion=OuterRef("pk"))
    severe_reports = reports.filter(ReactionReport.SEVERE_AFTER_REVIEW)
    per_infusion = (
        infusions.annotate(has_reaction=Exists(reports), has_severe=Exists(severe_reports))
        .values_list("product", "product_other", "lot_number", "patient_id", "has_reaction", "has_severe")
        .order_by()  # summed below: the default ordering would only add a sort
    )
    # One query for both tables, summed here: per lot, then the lots per product. product_other is part
    # of every group: two different "other" products are two rows.
    def totals() -> list:
        return [0, set(), 0, 0]  # infusions, patient ids, with a reaction, with a severe one

    lots: defaultdict[tuple, list] = defaultdict(totals)  # (product, product_other, lot) -> totals
    for product, product_other, lot_number, patient_id, has_reaction, has_severe in per_infusion:
        group = lots[(product, product_other, lot_number)]
        group[0] += 1
        group[1].add(patient_id)
        group[2] += has_reaction
        group[3] += has_severe
    products: defaultdict[tuple, list] = defaultdict(totals)  # (product, product_other) -> summed over its lots
    for (product, product_other, _lot), (n, patients, with_reaction, severe) in lots.items():
        group = products[(product, product_other)]
        group[0] += n
        group[1] |= patients
        group[2] += with_reaction
        group[3] += severe

    names = {key: Infusion.name_of_product(*key) for key in products}  # once per product, not once per lot

    def rows(groups: dict[tuple, list]) -> list[dict[str, Any]]:
        out = []
        for key in sorted(groups, key=lambda k: [v or "" for v in k]):
            n, patients, with_reaction, severe = groups[key]
            product, product_other = key[0], key[1]
            row: dict[str, Any] = {
                "product": product, "product_other": product_other, "product_name": names[(product, product_other)],
                "infusions": n, "patients": len(patients), "with_reaction": with_reaction, "severe": severe,
                "mild": with_reaction - severe, "mild_rate": (with_reaction - severe) / n, "severe_rate": severe / n,
            }  # fmt: skip
            if len(key) == 3:
                row["lot_number"] = key[2]
            out.append(row)
        return out

    signals = LotSignal.objects.filter(clinic=clinic).order_by("-created_at")[:20]
    return {"products": rows(products), "lots": rows(lots), "signals": list(signals)}


def patient_update_details(*, patient: User, indication: str) -> None:
    patient.indication = indication
    patient.full_clean(validate_unique=False, exclude=["password"])
    patient.save(update_fields=["indication"])


# --- Audit trail --------------------------------------------------------------------------------


# Well under SQLite's limit of 32,766 parameters a statement.
AUDIT_ROWS_PER_STATEMENT = 1000


def audit_record(*, request: Any, patients: Iterable[User | int], action: str, what: str) -> int:
    """Record that the signed-in clinician or admin viewed/changed/exported these patients' data.

    One row per patient, written by INSERT ... SELECT over the patients' ids (1,000 a statement) with the
    other values given once. Every clinician page records its patients (the triage queue 25, the patient list 50);
    bulk_create spent ~3 ms of such a page building and preparing a model object per row, this ~1 ms.
    The values are prepared by the same backend adapters the ORM uses, so the rows are the same.
    """
    actor = request.user
    ids = sorted({p if isinstance(p, int) else p.pk for p in patients})
    if not ids:
        return 0
    ops, meta = db_connection.ops, AuditEvent._meta
    given_once = {
        "actor": actor.pk,
        "actor_label": f"{actor.full_name} <{actor.email}> ({actor.get_role_display()})",
        "clinic": actor.clinic_id,
        "action": action,
        "what": what[:200],
        "ip_address": ops.adapt_ipaddressfield_value(client_ip(request)),
        "created_at": ops.adapt_datetimefield_value(timezone.now()),
    }
    columns = ", ".join(ops.quote_name(meta.get_field(name).column) for name in [*given_once, "patient", "patient_ref"])
    with db_connection.cursor() as cursor:
        for start in range(0, len(ids), AUDIT_ROWS_PER_STATEMENT):  # an export names every patient it holds
            chunk = ids[start:start + AUDIT_ROWS_PER_STATEMENT]
            # A bare VALUES list names its column column1 on both PostgreSQL and SQLite. Only the model's
            # own quoted names and placeholders go into the text; every value is a parameter.
            sql = (
                f"INSERT INTO {ops.quote_name(meta.db_table)} ({columns}) "  # nosec B608
                f"SELECT {', '.join(['%s'] * len(given_once))}, ids.column1, ids.column1 "
                f"FROM (VALUES {', '.join(['(%s)'] * len(chunk))}) AS ids"
            )
            cursor.execute(sql, [*given_once.values(), *chunk])
    return len(ids)


@dataclass(frozen=True)
class AccessRun:
    """Audit events in a row with the same who, action and what: one line of a patient's access log."""

    latest: AuditEvent
    earliest_at: datetime
    count: int


def audit_runs(events: Iterable[AuditEvent]) -> list[AccessRun]:
    """Group events (newest first) that repeat the one before: same person, action and what.

    Every view is recorded, and the triage queue reloads itself every minute while a clinician has it
    open: a patient with an open flag would see a page of "triage queue" lines, one a minute, and the
    other accesses pushed out of sight. As runs, those are one line with how many times and from when
    to when; the rows themselves stay as they are.
    """
    runs = []
    for _same, group in groupby(events, key=lambda event: (event.actor_label, event.action, event.what)):
        run = list(group)
        runs.append(AccessRun(latest=run[0], earliest_at=run[-1].created_at, count=len(run)))
    return runs


# --- Account deletion ------------------------------------------------------------------------------


def deletion_request_create(*, patient: User, reason: str = "") -> DeletionRequest:
    existing = DeletionRequest.objects.filter(patient=patient, confirmed_at__isnull=True).first()
    if existing:
        return existing
    return DeletionRequest.objects.create(patient=patient, patient_ref=patient.pk, clinic_id=patient.clinic_id,
                                          reason=reason)  # fmt: skip


@transaction.atomic
def deletion_confirm(*, deletion: DeletionRequest, by: User) -> None:
    """Remove the patient's health data and anonymise the account, as SECURITY.md documents.

    Removed: infusions, vitals, rate changes, reports, symptoms, flags and their notes,
    follow-ups, every e-mail to or about the patient, invitations to their address, and
    two-factor devices. Kept: the anonymised user row (so that audit rows still point
    somewhere), audit rows (who accessed the record and when, no health data, no name),
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
    Flag.objects.filter(patient=patient).delete()
    ReactionReport.objects.filter(patient=patient).delete()
    Infusion.objects.filter(patient=patient).delete()
    for device_model in (TOTPDevice, StaticDevice):
        device_model.objects.filter(user=patient).delete()
    patient.email = f"deleted-{patient.pk}@deleted.invalid"
    patient.full_name = "Deleted patient"
    patient.time_zone = ""
    patient.indication = ""
    patient.is_active = False
    patient.followups_paused_until = None
    patient.followups_stopped_at = timezone.now()
    patient.set_unusable_password()  # also ends every session (the session auth hash changes)
    patient.save()
    DeletionRequest.objects.filter(pk=deletion.pk).update(confirmed_at=timezone.now(), confirmed_by=by, reason="")
