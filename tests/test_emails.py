"""Every e-mail the app writes, rendered by the one helper with names that need escaping in HTML only."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reactions.emails import render_email
from reactions.models import FollowUp, LotSignal
from reactions.selectors.clinic import ClinicOpenItems
from tests.factories import ClinicFactory, ClinicianFactory, InfusionFactory, PatientFactory, make_severe_flag

pytestmark = pytest.mark.django_db
EMAILS = Path(__file__).resolve().parents[1] / "templates" / "emails"
HOSTILE = "O'Brien <b>&</b>"
ESCAPED_FORMS = ("&#x27;", "&#39;", "&lt;", "&gt;", "&amp;", "&quot;")


def _names() -> list[str]:
    return sorted(path.name.removesuffix("-subject.txt") for path in EMAILS.glob("*-subject.txt"))


@pytest.fixture
def email_context():
    clinic = ClinicFactory(name=f"{HOSTILE} Clinic")
    patient = PatientFactory(clinic=clinic, full_name=HOSTILE, email="obrien@example.test")
    infusion = InfusionFactory(patient=patient, product="other", product_other=HOSTILE, lot_number="L-1")
    followup = FollowUp.objects.create(infusion=infusion, patient=patient, offset_hours=2, due_at=timezone.now())
    now = timezone.now()
    signal = LotSignal.objects.create(
        clinic=clinic,
        product="other",
        lot_number="L-1",
        severe_events=2,
        patients=2,
        first_event_at=now - timedelta(days=4),
        last_event_at=now,
    )
    return {
        "recipient": ClinicianFactory(clinic=clinic),
        "clinic": clinic,
        "patient": patient,
        "infusion": infusion,
        "followup": followup,
        "flag": make_severe_flag(infusion=infusion),
        "signal": signal,
        "product_name": HOSTILE,
        "items": ClinicOpenItems(severe_events=1, review_flags=2, no_response=0),
        "local_date": timezone.localdate(),
        "invitation": type("Invitation", (), {"full_name": HOSTILE})(),
        "valid_days": 7,
        "valid_minutes": 60,
        "url": "https://example.test/x",
        "no_symptoms_url": "https://example.test/a",
        "report_url": "https://example.test/b",
        "preferences_url": "https://example.test/c",
        "email": patient.email,
        "protocol": "https",
        "domain": "example.test",
        "uid": "MQ",
        "token": "set-password",
        "escalation": True,
        "round": 2,
    }


def test_every_template_family_is_covered():
    for name in _names():
        assert (EMAILS / f"{name}-body.txt").exists() and (EMAILS / f"{name}-body.html").exists(), name


@pytest.mark.parametrize("name", _names())
def test_subjects_and_text_bodies_are_plain_text_and_html_bodies_escaped(email_context, name):
    rendered = render_email(name, email_context)
    for part in (rendered.subject, rendered.text):
        assert not any(escaped in part for escaped in ESCAPED_FORMS), (name, part)
    assert "<b>&</b>" not in rendered.html, name
    if HOSTILE in rendered.text:
        assert "O&#x27;Brien &lt;b&gt;&amp;&lt;/b&gt;" in rendered.html, name


def test_a_name_with_an_apostrophe_reads_as_typed_in_the_subject(email_context):
    assert render_email("daily-digest", email_context).subject.startswith(f"{HOSTILE} Clinic:")


def test_the_password_reset_e_mail_is_rendered_like_every_other(email_context):
    patient = email_context["patient"]
    Client().post(reverse("password_reset"), {"email": patient.email})
    (message,) = mail.outbox
    assert message.subject == "Reset your password"
    assert "/accounts/password/reset/" in message.body and "&#x27;" not in message.body
    assert message.alternatives and message.alternatives[0][1] == "text/html"
