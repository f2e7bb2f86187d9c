"""Each prompt and its reminder name the warning signs of their window, whom to call, and keep the one-tap links."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from reactions import engine
from reactions.models import FollowUp
from tests.factories import InfusionFactory, PatientFactory, clinic_for_engine_tests, make_planned_infusion

pytestmark = pytest.mark.django_db

SIGNS = {
    "first_hours": ("trouble breathing", "swelling of your face, lips or throat", "hives"),
    "first_days": ("stiff neck", "light hurting your eyes", "little or no urine"),
    "first_weeks": ("swollen, painful leg", "chest pain", "sudden breathlessness", "dark urine", "yellow eyes"),
}
# Words a subject must never carry: the treatment, or a symptom (anyone may read a subject line).
NOT_IN_SUBJECT = ("ivig", "immunoglobulin", "privigen", "breath", "rash", "hives", "urine", "chest", "leg", "headache")


@pytest.fixture
def clinic():
    return clinic_for_engine_tests(country="GB", phone="020 7946 0001", out_of_hours_phone="020 7946 0999")


def _prompt(clinic, offset_hours: int) -> FollowUp:
    patient = PatientFactory(clinic=clinic)
    infusion = InfusionFactory(patient=patient)
    return FollowUp.objects.create(
        infusion=infusion, patient=patient, offset_hours=offset_hours, due_at=timezone.now() - timedelta(minutes=1)
    )


def _others(window: str) -> list[str]:
    return [sign for key, signs in SIGNS.items() if key != window for sign in signs if sign != "hives"]


@pytest.mark.parametrize(
    ("offset_hours", "window"),
    [(2, "first_hours"), (6, "first_hours"), (24, "first_days"), (72, "first_days"), (168, "first_weeks"),
     (240, "first_weeks"), (336, "first_weeks")],
)  # fmt: skip
def test_each_prompt_names_its_windows_signs_and_whom_to_call(clinic, offset_hours, window):
    _prompt(clinic, offset_hours)
    engine.dispatcher.dispatch_due()
    (message,) = mail.outbox
    html = message.alternatives[0][0]
    for body in (message.body, html):
        for sign in SIGNS[window]:
            assert sign in body, (offset_hours, sign)
        for sign in _others(window):
            assert sign not in body, (offset_hours, sign)
        assert "020 7946 0001" in body and "020 7946 0999" in body
        assert "No new symptoms" in body and "Report symptoms" in body
        assert "up to two weeks" in body
    if window != "first_days":
        assert "Call 999 now if you have:" in message.body
    assert not any(word in message.subject.lower() for word in NOT_IN_SUBJECT)


def test_the_emergency_number_is_the_clinics_countrys():
    clinic = clinic_for_engine_tests(country="ES")
    _prompt(clinic, 2)
    engine.dispatcher.dispatch_due()
    assert "Call 112 now if you have:" in mail.outbox[0].body


def test_the_reminder_names_the_same_signs(clinic):
    followup = _prompt(clinic, 168)
    engine.dispatcher.dispatch_due()
    FollowUp.objects.filter(pk=followup.pk).update(sent_at=timezone.now() - timedelta(days=2))
    engine.dispatcher.followups_queue_reminders(now=timezone.now())
    engine.dispatcher.dispatch_due()
    reminder = mail.outbox[-1]
    assert "We have not heard from you" in reminder.body
    for sign in SIGNS["first_weeks"]:
        assert sign in reminder.body and sign in reminder.alternatives[0][0]
    assert "Call 999 now if you have:" in reminder.body and "020 7946 0999" in reminder.body
    assert not any(word in reminder.subject.lower() for word in NOT_IN_SUBJECT)


def test_the_page_the_link_opens_shows_the_same_signs(clinic):
    _prompt(clinic, 48)
    engine.dispatcher.dispatch_due()
    url = re.search(r"https?://\S+/f/[^\s/]+/", mail.outbox[0].body).group(0).removeprefix("http://testserver")
    page = Client().get(url).content.decode()
    for sign in SIGNS["first_days"]:
        assert sign in page
    assert "020 7946 0001" in page


def test_the_check_ins_subject_names_no_treatment_or_symptom(clinic):
    make_planned_infusion(PatientFactory(clinic=clinic))
    engine.dispatcher.dispatch_due()
    (message,) = mail.outbox
    assert not any(word in message.subject.lower() for word in (*NOT_IN_SUBJECT, "infusion", "fever", "infection"))
