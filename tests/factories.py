"""factory_boy factories: every test builds the data it needs, no fixture files."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from reactions import services
from reactions.models import CareLink, Clinic, DigestRun, Flag, Infusion, PushSubscription, ReactionReport, User
from tests.push_service import Device


class ClinicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinic

    name = factory.Sequence(lambda n: f"Clinic {n}")
    out_of_hours_phone = "+44 20 7946 0000"
    time_zone = "Europe/London"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    full_name = factory.Faker("name")
    role = User.Role.PATIENT
    clinic = factory.SubFactory(ClinicFactory)
    password = factory.django.Password("correct-horse-battery")


class PatientFactory(UserFactory):
    role = User.Role.PATIENT


class ClinicianFactory(UserFactory):
    role = User.Role.CLINICIAN


class ClinicAdminFactory(UserFactory):
    role = User.Role.CLINIC_ADMIN


class CaregiverFactory(UserFactory):
    """A caregiver's account: no clinic (they reach a patient through a CareLink)."""

    role = User.Role.CAREGIVER
    clinic = None
    time_zone = "Europe/London"


def make_caregiver(patient: User, *, receives_prompts: bool = True, **fields) -> tuple[User, CareLink]:
    """A caregiver with an active link to this patient."""
    caregiver = CaregiverFactory(**fields)
    link = CareLink.objects.create(
        patient=patient, caregiver=caregiver, invited_by=patient, receives_prompts=receives_prompts
    )
    return caregiver, link


def make_push_device(user: User, *, endpoint: str = "", label: str = "Chrome · Android") -> PushSubscription:
    """A device subscribed to the user's notifications, with keys as a browser makes them; its own endpoint
    unless one is given (no push service is behind it: for tests that only list or count devices)."""
    keys = Device()
    return services.push.push_subscribe(
        user=user,
        endpoint=endpoint or f"https://fcm.googleapis.com/fcm/send/{keys.auth}",
        p256dh=keys.p256dh,
        auth=keys.auth,
        device_label=label,
    )


class InfusionFactory(factory.django.DjangoModelFactory):
    """A given infusion that started three hours ago and lasted two hours."""

    class Meta:
        model = Infusion

    patient = factory.SubFactory(PatientFactory)
    status = Infusion.Status.GIVEN
    started_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=3))
    ended_at = factory.LazyAttribute(lambda o: o.started_at + timedelta(hours=2) if o.started_at else None)
    product = Infusion.Product.PRIVIGEN
    lot_number = factory.Sequence(lambda n: f"P{100000 + n}")
    dose_grams = Decimal("35.0")
    setting = Infusion.Setting.CLINIC
    logged_by = factory.SelfAttribute("patient")


def clinic_for_engine_tests(**fields) -> Clinic:
    """A clinic whose follow-up e-mails do not depend on the hour the tests run at.

    No quiet hours, and its daily reminder marked as sent for the days around now: otherwise a run
    after the clinic's morning would also find the digest among the e-mails.
    """
    clinic = ClinicFactory(quiet_hours_start="00:00", quiet_hours_end="00:00", **fields)
    today = timezone.now().astimezone(clinic.tzinfo).date()
    for days in (-1, 0, 1):
        DigestRun.objects.create(clinic=clinic, local_date=today + timedelta(days=days), created_at=timezone.now())
    return clinic


def make_report(
    *,
    infusion: Infusion | None = None,
    symptoms: list[tuple[str, str]] | None = None,
    notes: str = "",
    onset: str = "during",
) -> ReactionReport:
    """A report created through the real service, so that its flags are real too."""
    infusion = infusion or InfusionFactory()
    entries = [services.reports.SymptomEntry(code=code, grade=grade, onset=onset) for code, grade in (symptoms or [])]
    return services.reports.report_create(infusion=infusion, symptoms=entries, notes=notes)


def make_planned_infusion(patient: User, *, in_hours: int = 23, product: str = Infusion.Product.PRIVIGEN) -> Infusion:
    """A planned infusion created through the real service, so that its day-before reminder exists too.

    23 hours ahead by default: its reminder is due now.
    """
    start = timezone.now() + timedelta(hours=in_hours)
    return services.infusions.infusion_create(
        patient=patient,
        logged_by=patient,
        status=Infusion.Status.PLANNED,
        started_at=start,
        ended_at=start + timedelta(hours=3),
        product=product,
    )


def make_severe_flag(*, infusion: Infusion | None = None) -> Flag:
    report = make_report(infusion=infusion, symptoms=[("breathing_trouble", "severe")])
    return report.flags.get(kind=Flag.Kind.SEVERE_EVENT)
