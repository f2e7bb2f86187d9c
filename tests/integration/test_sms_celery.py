"""Texts through real services: Celery worker + beat, Redis, PostgreSQL, SMTP, and a local server speaking
Twilio's Messages API that the worker's Twilio SDK posts to."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from reactions import services
from reactions.models import DeliveryAttempt, OutboundEmail
from tests.factories import InfusionFactory, PatientFactory, clinic_for_engine_tests, make_caregiver
from tests.integration.conftest import wait_until
from tests.twilio_api import TwilioApi

pytestmark = pytest.mark.django_db(transaction=True)

MOBILE = "+447400123456"
CARER_MOBILE = "+447400654321"


@pytest.fixture
def twilio():
    api = TwilioApi().start()
    yield api
    api.stop()


def _due_prompt_on_texts_and_email():
    patient = PatientFactory(clinic=clinic_for_engine_tests(), phone=MOBILE, notify_sms=True)
    now = timezone.now()
    infusion = InfusionFactory(patient=patient, started_at=now - timedelta(hours=5), ended_at=now - timedelta(hours=2))
    services.followups.followups_sync(infusion=infusion)
    return patient, infusion.followups.get(offset_hours=2)


def _prompt_mails(smtp):
    return [m for m in smtp.messages if m["Subject"].startswith("How have you been since")]


def test_a_prompt_arrives_by_email_and_by_text_exactly_once_each(celery_procs, smtp, twilio):
    patient, followup = _due_prompt_on_texts_and_email()
    celery_procs.worker(SMS_URL=twilio.sms_url())
    celery_procs.beat()

    wait_until(lambda: _prompt_mails(smtp) and twilio.messages, timeout=30, what="the e-mail and the text")
    time.sleep(5)  # more dispatcher ticks (every 2 s here): nothing goes twice

    assert [m["To"] for m in _prompt_mails(smtp)] == [patient.email]
    (text,) = twilio.messages
    assert text["To"] == MOBILE and "http://testserver/s/f" in text["Body"] and twilio.problems == []
    rows = OutboundEmail.objects.filter(followup=followup)
    assert sorted(rows.values_list("channel", "status", "attempts")) == [("email", "sent", 1), ("sms", "sent", 1)]


def test_a_caregivers_text_arrives_once_beside_the_patients_copies(celery_procs, smtp, twilio):
    patient, followup = _due_prompt_on_texts_and_email()
    caregiver, _link = make_caregiver(patient, email="carer@example.test", phone=CARER_MOBILE, notify_sms=True)
    celery_procs.worker(SMS_URL=twilio.sms_url())
    celery_procs.beat()

    wait_until(lambda: len(twilio.messages) == 2 and len(smtp.messages) >= 2, timeout=30, what="texts and e-mails")
    time.sleep(5)  # more dispatcher ticks: nothing goes twice

    assert sorted(text["To"] for text in twilio.messages) == [MOBILE, CARER_MOBILE] and twilio.problems == []
    theirs = next(text for text in twilio.messages if text["To"] == CARER_MOBILE)
    assert "the person you help" in theirs["Body"]
    assert sorted(m["To"] for m in smtp.messages) == sorted([patient.email, "carer@example.test"])
    rows = OutboundEmail.objects.filter(followup=followup, to_user=caregiver)
    assert sorted(rows.values_list("channel", "status", "attempts")) == [("email", "sent", 1), ("sms", "sent", 1)]


def test_a_rate_limited_text_is_retried_by_the_worker_and_sent_once(celery_procs, smtp, twilio):
    _patient, followup = _due_prompt_on_texts_and_email()
    twilio.script.extend([429, 500])
    celery_procs.worker(SMS_URL=twilio.sms_url())
    celery_procs.beat()

    wait_until(lambda: twilio.messages, timeout=40, what="the text, after a 429 and a 500")
    time.sleep(4)
    assert len(twilio.messages) == 1 and twilio.requests == 3
    sms = OutboundEmail.objects.get(followup=followup, channel=OutboundEmail.Channel.SMS)
    assert (sms.status, sms.attempts) == (OutboundEmail.Status.SENT, 3)
    assert list(DeliveryAttempt.objects.filter(email=sms).values_list("succeeded", flat=True)) == [False, False, True]
    assert len(_prompt_mails(smtp)) == 1
