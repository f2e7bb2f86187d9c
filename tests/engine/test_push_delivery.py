"""Notifications through the outbox: a row per message on the push channel, sent once, retried, and
replaced by an e-mail when no device takes it (a local push service: tests/push_service.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from reactions import engine, services
from reactions.models import FollowUp, OutboundEmail, PushSubscription
from tests.factories import InfusionFactory, PatientFactory, clinic_for_engine_tests, make_caregiver

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("own_vapid_key")]

EMAIL, PUSH = OutboundEmail.Channel.EMAIL, OutboundEmail.Channel.PUSH


def _prompted_with_a_device(push_service, *, answer=None, clinic=None, **patient_fields):
    patient = PatientFactory(clinic=clinic or clinic_for_engine_tests(), full_name="Alex Morgan", **patient_fields)
    endpoint, device = push_service.subscribe()
    if answer:
        push_service.answers[push_service.token_of(endpoint)] = answer
    services.push.push_subscribe(
        user=patient, endpoint=endpoint, p256dh=device.p256dh, auth=device.auth, device_label="Chrome · Android"
    )
    now = timezone.now()
    infusion = InfusionFactory(patient=patient, started_at=now - timedelta(hours=5), ended_at=now - timedelta(hours=2))
    services.followups.followups_sync(infusion=infusion)
    return patient, infusion.followups.get(offset_hours=2)


def test_a_prompt_goes_once_as_a_notification_and_once_by_email(push_service):
    _patient, followup = _prompted_with_a_device(push_service)
    engine.dispatcher.dispatch_due()
    engine.dispatcher.dispatch_due()  # a second pass sends nothing again

    rows = OutboundEmail.objects.filter(followup=followup)
    assert sorted(rows.values_list("channel", "status")) == [(EMAIL, "sent"), (PUSH, "sent")]
    assert len(mail.outbox) == 1
    assert push_service.problems == []
    (delivery,) = push_service.deliveries
    push_row = rows.get(channel=PUSH)
    assert delivery.payload == {
        "title": "ivigtrack",
        "body": "A follow-up question is waiting for you.",
        "url": push_row.link,
    }
    assert "/s/f" in push_row.link  # the short link that opens the same page as the e-mail's


def test_a_notification_is_titled_with_the_name_the_clinic_chose_when_it_goes(push_service):
    clinic = clinic_for_engine_tests()
    _patient, followup = _prompted_with_a_device(push_service, clinic=clinic)
    engine.dispatcher.followups_queue_due(now=timezone.now())
    # Chosen while the notification waits in the outbox: it goes with the new name.
    services.accounts.clinic_update_settings(clinic=clinic, message_sender_name="Riverside clinic")
    engine.delivery.email_deliver()

    assert push_service.problems == []
    (delivery,) = push_service.deliveries
    assert delivery.payload["title"] == "Riverside clinic"
    assert "ivigtrack" not in delivery.payload["title"] + delivery.payload["body"]
    assert OutboundEmail.objects.get(followup=followup, channel=PUSH).status == OutboundEmail.Status.SENT


def test_a_device_that_is_gone_is_forgotten_and_the_email_goes_instead(push_service):
    patient, followup = _prompted_with_a_device(push_service, answer=410, notify_email=False)
    engine.dispatcher.dispatch_due()

    assert not PushSubscription.objects.filter(user=patient).exists()
    rows = OutboundEmail.objects.filter(followup=followup)
    assert sorted(rows.values_list("channel", "status")) == [(EMAIL, "sent"), (PUSH, "failed")]
    assert [message.to for message in mail.outbox] == [[patient.email]]
    followup.refresh_from_db()
    assert followup.status == FollowUp.Status.PROMPTED  # reached by e-mail: not "cannot reach"


def test_a_busy_push_service_is_retried_with_backoff(push_service):
    _patient, followup = _prompted_with_a_device(push_service, answer=503, notify_email=False)
    engine.dispatcher.dispatch_due()

    row = OutboundEmail.objects.get(followup=followup, channel=PUSH)
    assert (row.status, row.attempts) == (OutboundEmail.Status.PENDING, 1)
    assert row.due_at > timezone.now()
    assert not OutboundEmail.objects.filter(followup=followup, channel=EMAIL).exists()


def test_a_caregiver_with_a_device_gets_their_own_notification_opening_their_copy(push_service):
    patient = PatientFactory(clinic=clinic_for_engine_tests(), full_name="Alex Morgan")
    caregiver, _link = make_caregiver(patient, full_name="Jo Carer", notify_email=False)
    endpoint, device = push_service.subscribe()
    services.push.push_subscribe(
        user=caregiver, endpoint=endpoint, p256dh=device.p256dh, auth=device.auth, device_label="Firefox · Android"
    )
    now = timezone.now()
    infusion = InfusionFactory(patient=patient, started_at=now - timedelta(hours=5), ended_at=now - timedelta(hours=2))
    services.followups.followups_sync(infusion=infusion)
    engine.dispatcher.dispatch_due()

    followup = infusion.followups.get(offset_hours=2)
    theirs = OutboundEmail.objects.get(followup=followup, to_user=caregiver)
    assert (theirs.channel, theirs.status) == (PUSH, "sent")
    assert push_service.problems == []
    (delivery,) = push_service.deliveries
    assert delivery.payload["body"] == "A follow-up question about the person you help is waiting."
    assert "Alex" not in delivery.payload["body"] and delivery.payload["url"] == theirs.link
    # The e-mail goes to the patient only: the caregiver chose notifications alone.
    assert [message.to for message in mail.outbox] == [[patient.email]]
    opened = Client().get("/" + theirs.link.split("://", 1)[1].split("/", 1)[1], follow=True)
    assert "You are helping Alex" in opened.content.decode()
