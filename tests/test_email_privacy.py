"""What every e-mail may show where anyone can read it, and how it gives times.

A subject line is shown on lock screens and in notifications, kept in mail gateways' and servers' logs and
read by whoever glances at the screen: it names no patient, no symptom and no treatment. A time in a body
is absolute and in the recipient's own time zone: "5 minutes ago" is wrong by the time it is read.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from reactions import services
from reactions.domain import catalogue
from reactions.emails import render_email
from reactions.models import Flag, FollowUp, Infusion, LotSignal
from reactions.selectors.clinic import ClinicOpenItems
from tests.factories import ClinicFactory, ClinicianFactory, InfusionFactory, PatientFactory

pytestmark = pytest.mark.django_db
EMAILS = Path(__file__).resolve().parents[1] / "templates" / "emails"
NAMES = sorted(path.name.removesuffix("-subject.txt") for path in EMAILS.glob("*-subject.txt"))
LANGUAGES = ("en", "es")
REPORTED_AT = datetime(2026, 12, 2, 15, 9, tzinfo=UTC)
STARTED_AT = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
# Words that name the treatment, in both languages; "ivig" also catches the app's own name.
TREATMENT_WORDS = ("ivig", "immunoglobulin", "inmunoglobulina", "infusion", "infusión", "gammaglobulin")
RELATIVE_TIME = re.compile(r"\bago\b|\bhace\b|\bjust now\b|\bahora mismo\b|\bin \d+ (?:minute|hour)", re.IGNORECASE)
CLOCK = re.compile(r"\b\d{1,2}:\d{2}\b")


def _context(recipient_tz: str = "Europe/London", language: str = "en") -> dict:
    clinic = ClinicFactory(name="Riverside Neurology", time_zone="Europe/London")
    patient = PatientFactory(clinic=clinic, full_name="Jo Chen", email="jo.chen@example.test")
    infusion = InfusionFactory(
        patient=patient,
        product=Infusion.Product.GAMUNEX_C,
        lot_number="G7790C",
        started_at=STARTED_AT,
        ended_at=STARTED_AT + timedelta(hours=3),
    )
    report = services.reports.report_create(
        infusion=infusion,
        symptoms=[
            services.reports.SymptomEntry("headache_stiff_neck", "severe", "1_3d"),
            services.reports.SymptomEntry("headache", "very_severe", "1_3d"),
        ],
        notes="Worst headache of my life, stiff neck",
        reported_at=REPORTED_AT,
    )
    recipient = ClinicianFactory(clinic=clinic, time_zone=recipient_tz, language=language)
    followup = FollowUp.objects.create(infusion=infusion, patient=patient, offset_hours=2, due_at=REPORTED_AT)
    signal = LotSignal.objects.create(
        clinic=clinic,
        product=infusion.product,
        lot_number=infusion.lot_number,
        severe_events=2,
        patients=2,
        first_event_at=REPORTED_AT - timedelta(days=4),
        last_event_at=REPORTED_AT,
    )
    return {
        "recipient": recipient,
        "clinic": clinic,
        "patient": patient,
        "infusion": infusion,
        "followup": followup,
        "flag": report.flags.get(kind=Flag.Kind.SEVERE_EVENT),
        "signal": signal,
        "product_name": infusion.product_name,
        "items": ClinicOpenItems(severe_events=1, review_flags=2, no_response=1),
        "local_date": REPORTED_AT.date(),
        "invitation": type("Invitation", (), {"full_name": patient.full_name})(),
        "valid_days": 7,
        "valid_minutes": 60,
        "url": "https://ivigtrack.example.org/clinic/flags/1/",
        "no_symptoms_url": "https://ivigtrack.example.org/f/a",
        "report_url": "https://ivigtrack.example.org/f/b",
        "preferences_url": "https://ivigtrack.example.org/f/c",
        "email": patient.email,
        "protocol": "https",
        "domain": "ivigtrack.example.org",
        "uid": "MQ",
        "token": "set-password",
        "escalation": False,
        "round": 1,
    }


def _forbidden_in_subjects(context: dict) -> set[str]:
    patient = context["patient"]
    words = {patient.full_name, patient.full_name.split()[-1], context["product_name"], *TREATMENT_WORDS}
    words |= {label for _code, label in Infusion.Product.choices if _code != Infusion.Product.OTHER}
    for language in LANGUAGES:
        with translation.override(language):
            for symptom in catalogue.SYMPTOMS:
                words |= {str(symptom.label), str(symptom.clinical_name)}
    return {word.casefold() for word in words}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", NAMES)
def test_no_subject_names_a_patient_a_symptom_or_a_treatment(name, language):
    context = _context(language=language)
    for escalation in (False, True):
        subject = render_email(name, {**context, "escalation": escalation, "round": 2}).subject
        assert subject, name
        named = {word for word in _forbidden_in_subjects(context) if word in subject.casefold()}
        assert not named, (name, language, subject, named)


def test_the_forbidden_words_are_found_where_they_are():
    # The check above would pass on nothing: a subject that named them would fail it.
    context = _context()
    forbidden = _forbidden_in_subjects(context)
    for leaky in ("URGENT: severe event reported by Jo Chen", "How are you since your infusion on 2 December?"):
        assert any(word in leaky.casefold() for word in forbidden), leaky
    with translation.override("es"):
        assert str(catalogue.get("headache_stiff_neck").label).casefold() in forbidden


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", NAMES)
def test_every_time_in_an_e_mail_is_absolute_and_in_the_recipients_time_zone(name, language):
    zone = "Pacific/Kiritimati"  # UTC+14: no clock time there matches UTC's or the clinic's
    context = _context(recipient_tz=zone, language=language)
    rendered = render_email(name, context)
    local = {
        f"{moment.astimezone(ZoneInfo(zone)):%H:%M}"
        for moment in (REPORTED_AT, STARTED_AT, STARTED_AT + timedelta(hours=3))
    }
    for body in (rendered.text, rendered.html):
        assert not RELATIVE_TIME.search(body), (name, language, RELATIVE_TIME.search(body))
        clocks = set(CLOCK.findall(body))
        assert clocks <= local, (name, language, clocks - local)
        if clocks and name != "pre-infusion":  # a patient's own appointment: their time zone is the only one
            assert zone in body, (name, language, "a time without its time zone")


def test_the_alert_gives_the_time_of_the_report_the_product_and_the_lot():
    context = _context(recipient_tz="Europe/London")
    text = render_email("severe-alert", context).text
    assert "sent at 15:09 on Wed 2 Dec 2026 (Europe/London)" in text, text
    assert "Gamunex-C, lot G7790C" in text, text
    elsewhere = render_email("severe-alert", {**context, "recipient": ClinicianFactory(time_zone="America/New_York")})
    assert "sent at 10:09 on Wed 2 Dec 2026 (America/New_York)" in elsewhere.text, elsewhere.text


def test_the_daily_reminder_greets_without_guessing_the_time_of_day():
    # Queued at 08:00 clinic time, or whenever the dispatcher next runs after a stop (the demo at 15:05).
    context = _context()
    for language in LANGUAGES:
        rendered = render_email("daily-digest", context, language=language)
        assert not re.search(r"good (morning|afternoon|evening)|buen(os|as) (días|tardes|noches)", rendered.text, re.I)
        assert rendered.text.startswith(("Hello,", "Hola:")), rendered.text
