"""Delivery receipts: texts go to a local server speaking Twilio's API (tests/twilio_api.py), which asks for
receipts at the text's StatusCallback; the receipts come back signed as Twilio signs them, through the webhook.
A text the carrier lost goes down the engine's own path for a permanent failure: the e-mail copy, or
"cannot reach patient" when every copy failed."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from reactions import engine, services
from reactions.models import DeliveryAttempt, Flag, FollowUp, OutboundEmail
from tests.factories import InfusionFactory, PatientFactory, clinic_for_engine_tests
from tests.twilio_api import TwilioApi

pytestmark = pytest.mark.django_db

MOBILE = "+447400123456"
SMS, EMAIL = OutboundEmail.Channel.SMS, OutboundEmail.Channel.EMAIL
SITE = "https://ivigtrack.example.org"


@pytest.fixture
def clinic():
    return clinic_for_engine_tests()


@pytest.fixture
def twilio(settings):
    settings.SITE_URL = SITE
    api = TwilioApi().start()
    settings.SMS_URL = api.sms_url()
    yield api
    api.stop()


def _texted(clinic, twilio, **patient_fields):
    """A patient (on texts only by default) whose +2 h prompt went to Twilio, and that follow-up."""
    fields = {"phone": MOBILE, "notify_sms": True, "notify_email": False, **patient_fields}
    patient = PatientFactory(clinic=clinic, **fields)
    now = timezone.now()
    infusion = InfusionFactory(patient=patient, started_at=now - timedelta(hours=5), ended_at=now - timedelta(hours=2))
    services.followups.followups_sync(infusion=infusion)
    engine.dispatcher.dispatch_due()
    assert twilio.problems == [] and [message["To"] for message in twilio.messages] == [MOBILE]
    return patient, infusion.followups.get(offset_hours=2)


def _receipt(twilio, status, *, error_code=""):
    """Twilio posting the text's receipt to the StatusCallback it was given, signed with the auth token."""
    url, form, signature = twilio.receipt(MOBILE, status, error_code=error_code)
    assert url.startswith(SITE)
    return Client().post(urlsplit(url).path, form, headers={"X-Twilio-Signature": signature})


def _text(followup):
    return OutboundEmail.objects.get(followup=followup, channel=SMS)


def test_a_sent_text_keeps_twilios_message_sid_and_asks_for_receipts(clinic, twilio):
    _patient, followup = _texted(clinic, twilio)
    text = _text(followup)
    assert text.status == OutboundEmail.Status.SENT and text.provider_id == twilio.sids[0]
    assert twilio.messages[0]["StatusCallback"] == f"{SITE}/sms/status/"
    assert text.delivered_at is None


def test_a_delivered_receipt_records_when_the_text_arrived_once(clinic, twilio):
    _patient, followup = _texted(clinic, twilio)
    for status in ("queued", "sending", "sent"):  # steps on the way: nothing to record
        assert _receipt(twilio, status).status_code == 204
    assert _text(followup).delivered_at is None
    before = timezone.now()
    assert _receipt(twilio, "delivered").status_code == 204
    delivered_at = _text(followup).delivered_at
    assert delivered_at is not None and delivered_at >= before
    assert _receipt(twilio, "delivered").status_code == 204  # Twilio's retry
    text = _text(followup)
    assert text.delivered_at == delivered_at and text.status == OutboundEmail.Status.SENT


def test_an_undelivered_text_falls_back_to_email_once_and_the_email_goes(
    clinic, twilio, django_capture_on_commit_callbacks
):
    patient, followup = _texted(clinic, twilio)
    assert mail.outbox == []
    with django_capture_on_commit_callbacks() as callbacks:
        assert _receipt(twilio, "undelivered", error_code="30003").status_code == 204
    assert len(callbacks) == 1  # the e-mail's delivery task leaves once the receipt is committed
    text = _text(followup)
    assert text.status == OutboundEmail.Status.FAILED
    assert text.last_error == "Twilio undelivered, error 30003: the phone is off or out of reach"
    assert list(text.delivery_attempts.values_list("succeeded", "error")) == [(True, ""), (False, text.last_error)]
    (email,) = OutboundEmail.objects.filter(followup=followup, channel=EMAIL)
    assert email.status == OutboundEmail.Status.PENDING and email.to_email == patient.email

    engine.delivery.email_deliver()  # what that task does
    assert [message.to for message in mail.outbox] == [[patient.email]] and "/f/" in mail.outbox[0].body
    followup.refresh_from_db()
    assert followup.status == FollowUp.Status.PROMPTED
    assert not Flag.objects.filter(patient=patient).exists()


def test_a_repeated_undelivered_receipt_queues_no_second_email(clinic, twilio, django_capture_on_commit_callbacks):
    _patient, followup = _texted(clinic, twilio)
    assert _receipt(twilio, "undelivered", error_code="30005").status_code == 204
    engine.delivery.email_deliver()
    with django_capture_on_commit_callbacks() as callbacks:
        for status in ("undelivered", "failed"):
            assert _receipt(twilio, status, error_code="30005").status_code == 204
    assert callbacks == []
    assert OutboundEmail.objects.filter(followup=followup, channel=EMAIL).count() == 1
    engine.delivery.email_deliver()
    assert len(mail.outbox) == 1
    assert DeliveryAttempt.objects.filter(email=_text(followup), succeeded=False).count() == 1


def test_an_undelivered_text_whose_email_copy_bounced_tells_the_clinic(clinic, twilio, smtp):
    patient = PatientFactory(clinic=clinic, phone=MOBILE, notify_sms=True)  # texts and e-mail
    smtp.reject_addresses = {patient.email}
    now = timezone.now()
    infusion = InfusionFactory(patient=patient, started_at=now - timedelta(hours=5), ended_at=now - timedelta(hours=2))
    services.followups.followups_sync(infusion=infusion)
    engine.dispatcher.dispatch_due()
    followup = infusion.followups.get(offset_hours=2)
    rows = {row.channel: row.status for row in OutboundEmail.objects.filter(followup=followup)}
    assert rows == {EMAIL: OutboundEmail.Status.FAILED, SMS: OutboundEmail.Status.SENT}
    assert FollowUp.objects.get(pk=followup.pk).status == FollowUp.Status.PROMPTED  # the text may still arrive

    assert _receipt(twilio, "undelivered", error_code="30005").status_code == 204
    followup.refresh_from_db()
    assert followup.status == FollowUp.Status.UNDELIVERABLE
    flag = Flag.objects.get(patient=patient, kind=Flag.Kind.UNREACHABLE)
    assert "Text message to +447400123456" in flag.reason and "30005" in flag.reason
    assert OutboundEmail.objects.filter(followup=followup, channel=EMAIL).count() == 1  # no second e-mail


def test_a_late_delivered_receipt_records_the_time_and_undoes_nothing(clinic, twilio, smtp):
    patient, followup = _texted(clinic, twilio)
    smtp.reject_addresses = {patient.email}
    assert _receipt(twilio, "undelivered", error_code="30008").status_code == 204
    engine.delivery.email_deliver()  # the e-mail copy bounces too: "cannot reach patient"
    assert Flag.objects.filter(patient=patient, kind=Flag.Kind.UNREACHABLE).exists()

    assert _receipt(twilio, "delivered").status_code == 204
    text = _text(followup)
    assert text.delivered_at is not None and text.status == OutboundEmail.Status.FAILED
    assert FollowUp.objects.get(pk=followup.pk).status == FollowUp.Status.UNDELIVERABLE
    assert Flag.objects.get(patient=patient, kind=Flag.Kind.UNREACHABLE).status != Flag.Status.CLOSED


def test_a_text_failed_as_unsubscribed_records_the_stop(clinic, twilio):
    patient, followup = _texted(clinic, twilio)
    assert _receipt(twilio, "failed", error_code="21610").status_code == 204
    patient.refresh_from_db()
    assert patient.sms_stopped_at is not None
    assert OutboundEmail.objects.filter(followup=followup, channel=EMAIL).exists()


def test_a_receipt_for_a_text_that_is_not_ours_changes_nothing_and_is_logged(clinic, twilio, caplog):
    _patient, followup = _texted(clinic, twilio)
    twilio.sids[0] = "SM" + "0" * 32  # a message of another app on the same account
    with caplog.at_level("WARNING", logger="reactions.engine.receipts"):
        assert _receipt(twilio, "undelivered", error_code="30003").status_code == 204
    assert "not one of ours" in caplog.text
    assert _text(followup).status == OutboundEmail.Status.SENT
    assert not OutboundEmail.objects.filter(followup=followup, channel=EMAIL).exists()
