"""Texts through the engine: one row per channel, each claimed once, retried with backoff, recorded per
attempt; a text refused for good falls back to e-mail, and only when every channel fails is the clinic told.
Texts go to a local server speaking Twilio's API (tests/twilio_api.py), or to memory; mail to Django's
outbox or a real SMTP listener."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from reactions import engine, services
from reactions.channels.sms.locmem import outbox as sms_outbox
from reactions.models import DeliveryAttempt, Flag, FollowUp, OutboundEmail
from tests.factories import (
    InfusionFactory,
    PatientFactory,
    clinic_for_engine_tests,
    make_caregiver,
    make_planned_infusion,
)
from tests.twilio_api import TwilioApi

pytestmark = pytest.mark.django_db

MOBILE = "+447400123456"
SMS, EMAIL = OutboundEmail.Channel.SMS, OutboundEmail.Channel.EMAIL


@pytest.fixture
def clinic():
    return clinic_for_engine_tests()


@pytest.fixture
def twilio(settings):
    api = TwilioApi().start()
    settings.SMS_URL = api.sms_url()
    yield api
    api.stop()


def _prompted(clinic, **patient_fields):
    """A patient (on texts and e-mail by default) whose +2 h prompt is due now, and that follow-up."""
    fields = {"phone": MOBILE, "notify_sms": True, **patient_fields}
    patient = PatientFactory(clinic=clinic, **fields)
    now = timezone.now()
    infusion = InfusionFactory(patient=patient, started_at=now - timedelta(hours=5), ended_at=now - timedelta(hours=2))
    services.followups.followups_sync(infusion=infusion)
    return patient, infusion.followups.get(offset_hours=2)


def _rows(followup):
    return {row.channel: row for row in OutboundEmail.objects.filter(followup=followup)}


def test_a_prompt_goes_once_by_text_and_once_by_email_however_often_the_dispatcher_runs(clinic):
    _patient, followup = _prompted(clinic)
    for _ in range(3):
        engine.dispatcher.dispatch_due()
    rows = _rows(followup)
    assert set(rows) == {SMS, EMAIL}
    assert all(row.status == OutboundEmail.Status.SENT and row.attempts == 1 for row in rows.values())
    assert len(mail.outbox) == 1 and len(sms_outbox) == 1
    (text,) = sms_outbox
    assert text.to == MOBILE and text.body == rows[SMS].body_short
    assert "/s/" in text.body and "Reply STOP" in text.body
    assert rows[SMS].link in text.body and rows[SMS].to_email == ""
    followup.refresh_from_db()
    assert followup.sent_at is not None
    assert DeliveryAttempt.objects.filter(email__in=rows.values(), succeeded=True).count() == 2


def test_a_text_holds_no_health_data_or_names(clinic):
    _patient, followup = _prompted(clinic, full_name="Pat Q. Example")
    engine.dispatcher.dispatch_due()
    (text,) = sms_outbox
    for word in (
        "Pat",
        "Example",
        "infusion",
        "IVIG",
        "symptom",
        "Privigen",
        clinic.name,
        followup.infusion.lot_number,
    ):
        assert word.lower() not in text.body.lower().replace("ivigtrack", ""), word


def test_a_clinic_that_chose_no_name_signs_its_texts_ivigtrack(clinic):
    _prompted(clinic)
    engine.dispatcher.dispatch_due()
    (text,) = sms_outbox
    assert clinic.message_sender_name == "ivigtrack"
    assert text.body.startswith("ivigtrack: how are you since your appointment? ")


def test_answering_any_copy_answers_the_prompt_and_cancels_the_pending_copies(clinic):
    _patient, followup = _prompted(clinic)
    engine.dispatcher.followups_queue_due(now=timezone.now())
    assert {row.status for row in _rows(followup).values()} == {OutboundEmail.Status.PENDING}
    assert services.followups.followup_answer(followup=followup, answer=FollowUp.Answer.NO_SYMPTOMS)
    assert {row.status for row in _rows(followup).values()} == {OutboundEmail.Status.CANCELLED}
    engine.delivery.email_deliver()
    assert mail.outbox == [] and sms_outbox == []


def test_reminders_and_day_before_reminders_go_by_every_chosen_channel(clinic):
    patient, followup = _prompted(clinic)
    engine.dispatcher.dispatch_due()
    FollowUp.objects.filter(pk=followup.pk).update(sent_at=timezone.now() - timedelta(hours=25))
    engine.dispatcher.dispatch_due()
    reminders = OutboundEmail.objects.filter(followup=followup, kind=OutboundEmail.Kind.FOLLOWUP_REMINDER)
    assert sorted(reminders.values_list("channel", "status")) == [(EMAIL, "sent"), (SMS, "sent")]

    planned = make_planned_infusion(patient)
    engine.dispatcher.dispatch_due()
    day_before = OutboundEmail.objects.get(followup__infusion=planned, channel=SMS)
    assert day_before.kind == OutboundEmail.Kind.PRE_INFUSION and day_before.status == OutboundEmail.Status.SENT
    assert "tomorrow" in day_before.body_short and "/s/c" in day_before.body_short
    # The texted short link opens the same check-in page as the e-mail's link, and answers nothing by itself.
    short_path = "/s/" + day_before.link.rsplit("/s/", 1)[1]
    opened = Client().get(short_path, follow=True)
    assert (
        opened.status_code == 200 and "Any new symptoms, infection or fever since last time?" in opened.content.decode()
    )
    assert planned.followups.get(kind=FollowUp.Kind.PRE_INFUSION).answer == ""


CARER_MOBILE = "+447400654321"


def _carer_on_texts(patient, **fields):
    caregiver, link = make_caregiver(patient, email="carer@example.test", full_name="Jo Carer")
    caregiver.phone, caregiver.notify_sms = CARER_MOBILE, True
    for name, value in fields.items():
        setattr(caregiver, name, value)
    caregiver.save()
    return caregiver, link


def _opened(text_body):
    """What opening a texted link shows: its redirect followed, as a phone's browser would."""
    url = next(word for word in text_body.split() if "/s/" in word)
    return Client().get("/" + url.split("://", 1)[1].split("/", 1)[1], follow=True)


def test_a_caregiver_on_texts_gets_their_own_text_whose_link_answers_as_them(clinic, twilio):
    patient, followup = _prompted(clinic)
    caregiver, _link = _carer_on_texts(patient)
    engine.dispatcher.dispatch_due()
    rows = OutboundEmail.objects.filter(followup=followup, kind=OutboundEmail.Kind.FOLLOWUP_PROMPT)
    assert sorted(rows.values_list("to_user__email", "channel", "status")) == [
        ("carer@example.test", EMAIL, "sent"),
        ("carer@example.test", SMS, "sent"),
        (patient.email, EMAIL, "sent"),
        (patient.email, SMS, "sent"),
    ]
    assert twilio.problems == []
    by_number = {message["To"]: message["Body"] for message in twilio.messages}
    assert set(by_number) == {MOBILE, CARER_MOBILE}
    theirs, own = by_number[CARER_MOBILE], by_number[MOBILE]
    assert "the person you help" in theirs and "the person you help" not in own
    assert "Jo" not in theirs and patient.get_short_name() not in theirs  # no name on a lock screen
    assert rows.get(to_user=caregiver, channel=SMS).link in theirs

    page = _opened(theirs)
    assert page.status_code == 200 and f"You are helping {patient.get_short_name()}" in page.content.decode()
    assert Client().post(page.redirect_chain[-1][0]).status_code == 200
    followup.refresh_from_db()
    assert (followup.status, followup.answered_by) == (FollowUp.Status.ANSWERED, caregiver)
    # The patient's own text opens the patient's page, not the caregiver's.
    assert "You are helping" not in _opened(own).content.decode()


def test_texts_start_with_the_name_the_clinic_chose_for_the_patient_and_their_caregiver(clinic, twilio):
    services.accounts.clinic_update_settings(clinic=clinic, message_sender_name="Riverside clinic")
    patient, followup = _prompted(clinic, language="es")
    _carer_on_texts(patient)
    engine.dispatcher.dispatch_due()
    assert twilio.problems == []
    by_number = {message["To"]: message["Body"] for message in twilio.messages}
    assert by_number[MOBILE].startswith("Riverside clinic: ¿todo bien desde su cita? Conteste en ")
    assert by_number[CARER_MOBILE].startswith("Riverside clinic: how is the person you help? ")
    assert not [body for body in by_number.values() if "ivigtrack" in body.lower()]

    FollowUp.objects.filter(pk=followup.pk).update(sent_at=timezone.now() - timedelta(hours=25))
    engine.dispatcher.dispatch_due()
    reminders = OutboundEmail.objects.filter(followup=followup, kind=OutboundEmail.Kind.FOLLOWUP_REMINDER, channel=SMS)
    assert sorted(row.body_short.split("?")[0] for row in reminders) == [
        "Riverside clinic recuerda: ¿todo bien tras su cita",
        "Riverside clinic reminder: how is the person you help",
    ]


def test_a_removed_caregivers_texted_link_stops_working_at_once(clinic):
    patient, followup = _prompted(clinic)
    _caregiver, link = _carer_on_texts(patient)
    engine.dispatcher.dispatch_due()
    theirs = next(text.body for text in sms_outbox if text.to == CARER_MOBILE)
    assert _opened(theirs).status_code == 200
    services.caregivers.care_link_remove(link=link, by=patient)
    refused = _opened(theirs)
    assert refused.status_code == 400 and refused.redirect_chain == []
    assert FollowUp.objects.get(pk=followup.pk).status == FollowUp.Status.PROMPTED


def test_a_caregivers_day_before_text_opens_the_check_in_as_them(clinic):
    patient = PatientFactory(clinic=clinic)
    caregiver, _link = _carer_on_texts(patient, notify_email=False)
    planned = make_planned_infusion(patient)
    engine.dispatcher.dispatch_due()
    (theirs,) = [text.body for text in sms_outbox if text.to == CARER_MOBILE]
    assert "the person you help has a visit tomorrow" in theirs
    page = _opened(theirs)
    assert "Any new symptoms, infection or fever since last time?" in page.content.decode()
    assert f"You are helping {patient.get_short_name()}" in page.content.decode()
    response = Client().post(page.redirect_chain[-1][0], {"answer": "all_well"})
    assert response.status_code == 200
    checkin = planned.followups.get(kind=FollowUp.Kind.PRE_INFUSION)
    assert (checkin.answer, checkin.answered_by) == ("all_well", caregiver)


def test_a_caregivers_stop_reply_stops_only_their_texts(clinic):
    patient, followup = _prompted(clinic)
    caregiver, _link = _carer_on_texts(patient)
    services.sms.sms_reply_apply(from_number=CARER_MOBILE, body="STOP")
    engine.dispatcher.dispatch_due()
    rows = OutboundEmail.objects.filter(followup=followup, kind=OutboundEmail.Kind.FOLLOWUP_PROMPT)
    assert sorted(rows.values_list("to_user__email", "channel")) == [
        ("carer@example.test", EMAIL),
        (patient.email, EMAIL),
        (patient.email, SMS),
    ]
    assert [text.to for text in sms_outbox] == [MOBILE]
    caregiver.refresh_from_db()
    patient.refresh_from_db()
    assert caregiver.sms_stopped_at is not None and patient.sms_stopped_at is None


def test_a_caregivers_bad_number_falls_back_to_their_email_and_the_patient_is_not_flagged(clinic, twilio):
    patient, followup = _prompted(clinic)
    caregiver, _link = _carer_on_texts(patient, notify_email=False)
    twilio.refuse[CARER_MOBILE] = 21614
    engine.dispatcher.dispatch_due()
    theirs = OutboundEmail.objects.filter(followup=followup, to_user=caregiver)
    assert sorted(theirs.values_list("channel", "status")) == [(EMAIL, "sent"), (SMS, "failed")]
    assert "carer@example.test" in [message.to[0] for message in mail.outbox]
    assert not Flag.objects.filter(patient=patient).exists()


def test_a_patient_who_chose_only_texts_gets_no_email(clinic):
    _patient, followup = _prompted(clinic, notify_email=False)
    engine.dispatcher.dispatch_due()
    assert set(_rows(followup)) == {SMS} and mail.outbox == [] and len(sms_outbox) == 1


def test_a_stopped_number_gets_no_text_and_the_email_goes_instead(clinic):
    _patient, followup = _prompted(clinic, notify_email=False, sms_stopped_at=timezone.now())
    engine.dispatcher.dispatch_due()
    assert set(_rows(followup)) == {EMAIL} and len(mail.outbox) == 1 and sms_outbox == []


# --- Through Twilio's API: retries, refusals, fallback -----------------------------------------------


@pytest.mark.parametrize("status", [429, 500])
def test_a_rate_limit_or_server_error_is_retried_with_backoff_and_sent_once(clinic, twilio, status):
    _patient, followup = _prompted(clinic, notify_email=False)
    twilio.script.append(status)
    result = engine.dispatcher.dispatch_due()
    assert result.delivery.retrying == 1
    sms = _rows(followup)[SMS]
    assert sms.status == OutboundEmail.Status.PENDING and sms.due_at > timezone.now() and str(status) in sms.last_error

    assert engine.delivery.email_deliver().sent == 0  # backing off: not due yet
    result = engine.delivery.email_deliver(now=sms.due_at + timedelta(seconds=1))
    sms.refresh_from_db()
    assert result.sent == 1 and sms.status == OutboundEmail.Status.SENT and sms.attempts == 2
    assert list(sms.delivery_attempts.values_list("succeeded", flat=True)) == [False, True]
    assert [m["To"] for m in twilio.messages] == [MOBILE] and twilio.problems == []
    assert mail.outbox == []  # a temporary failure is no reason for the e-mail copy


def test_a_bad_number_falls_back_to_email_at_once_and_the_patient_is_not_unreachable(clinic, twilio):
    patient, followup = _prompted(clinic, notify_email=False)
    twilio.refuse[MOBILE] = 21211
    result = engine.dispatcher.dispatch_due()
    rows = _rows(followup)
    assert rows[SMS].status == OutboundEmail.Status.FAILED and "21211" in rows[SMS].last_error
    assert rows[EMAIL].status == OutboundEmail.Status.SENT and (result.delivery.failed, result.delivery.sent) == (1, 1)
    assert [m.to for m in mail.outbox] == [[patient.email]] and "/f/" in mail.outbox[0].body
    followup.refresh_from_db()
    assert followup.status == FollowUp.Status.PROMPTED and followup.sent_at is not None
    assert not Flag.objects.filter(patient=patient).exists()


def test_a_bad_number_with_the_email_copy_already_sent_queues_no_second_email(clinic, twilio):
    _patient, followup = _prompted(clinic)
    twilio.refuse[MOBILE] = 21614
    engine.dispatcher.dispatch_due()
    assert len(mail.outbox) == 1
    assert OutboundEmail.objects.filter(followup=followup, channel=EMAIL).count() == 1
    assert FollowUp.objects.get(pk=followup.pk).status == FollowUp.Status.PROMPTED


def test_a_stop_twilio_knew_of_is_recorded_and_later_messages_go_by_email(clinic, twilio):
    patient, followup = _prompted(clinic, notify_email=False)
    twilio.refuse[MOBILE] = 21610
    engine.dispatcher.dispatch_due()
    patient.refresh_from_db()
    assert patient.sms_stopped_at is not None and len(mail.outbox) == 1
    second = followup.infusion.followups.get(offset_hours=24)
    FollowUp.objects.filter(pk=second.pk).update(due_at=timezone.now())
    engine.dispatcher.dispatch_due()
    assert set(_rows(second)) == {EMAIL} and twilio.requests == 1


def test_when_every_channel_fails_the_clinic_is_told_the_patient_cannot_be_reached(clinic, twilio, smtp):
    patient, followup = _prompted(clinic, notify_email=False)
    twilio.refuse[MOBILE] = 21211
    smtp.reject_addresses = {patient.email}
    engine.dispatcher.dispatch_due()
    rows = _rows(followup)
    assert {row.status for row in rows.values()} == {OutboundEmail.Status.FAILED}
    followup.refresh_from_db()
    assert followup.status == FollowUp.Status.UNDELIVERABLE
    flag = Flag.objects.get(patient=patient, kind=Flag.Kind.UNREACHABLE)
    assert "550" in flag.reason and patient.email in flag.reason


def test_a_text_failing_after_the_email_bounced_still_tells_the_clinic(clinic, twilio, smtp):
    patient, followup = _prompted(clinic)
    smtp.reject_addresses = {patient.email}
    twilio.script.append(500)
    engine.dispatcher.dispatch_due()  # the e-mail bounces while the text waits to be retried
    assert FollowUp.objects.get(pk=followup.pk).status == FollowUp.Status.PROMPTED
    twilio.refuse[MOBILE] = 21211
    sms = _rows(followup)[SMS]
    engine.delivery.email_deliver(now=sms.due_at + timedelta(seconds=1))
    followup.refresh_from_db()
    assert followup.status == FollowUp.Status.UNDELIVERABLE
    assert "Text message to +447400123456" in Flag.objects.get(patient=patient, kind=Flag.Kind.UNREACHABLE).reason


# --- Claim and lease, as for e-mail ---------------------------------------------------------------------


def test_a_text_abandoned_mid_send_by_a_dead_worker_is_recovered_and_sent_once(clinic):
    _patient, followup = _prompted(clinic, notify_email=False)
    engine.dispatcher.followups_queue_due(now=timezone.now())
    sms = _rows(followup)[SMS]
    claimed = timezone.now() - timedelta(minutes=10)
    OutboundEmail.objects.filter(pk=sms.pk).update(
        status="sending", claimed_at=claimed, lease_until=claimed + timedelta(minutes=5), attempts=1
    )
    result = engine.delivery.email_deliver()
    assert (result.recovered, result.sent) == (1, 1) and len(sms_outbox) == 1
    assert list(DeliveryAttempt.objects.filter(email=sms).values_list("succeeded", "error")) == [
        (False, "worker stopped mid-send"),
        (True, ""),
    ]


def test_a_text_another_worker_holds_within_its_lease_is_left_alone(clinic):
    _patient, followup = _prompted(clinic, notify_email=False)
    engine.dispatcher.followups_queue_due(now=timezone.now())
    sms = _rows(followup)[SMS]
    now = timezone.now()
    OutboundEmail.objects.filter(pk=sms.pk).update(
        status="sending", claimed_at=now, lease_until=now + timedelta(minutes=5), attempts=1
    )
    result = engine.delivery.email_deliver()
    assert (result.recovered, result.sent) == (0, 0) and sms_outbox == []


def test_a_text_never_accepted_is_given_up_on_and_the_email_goes(clinic, twilio, settings):
    settings.EMAIL_MAX_ATTEMPTS = 2
    _patient, followup = _prompted(clinic, notify_email=False)
    twilio.script.extend([429, 429])
    engine.dispatcher.dispatch_due()
    sms = _rows(followup)[SMS]
    engine.delivery.email_deliver(now=sms.due_at + timedelta(seconds=1))
    sms.refresh_from_db()
    assert sms.status == OutboundEmail.Status.FAILED and sms.last_error.startswith("gave up after 2 attempts")
    assert len(mail.outbox) == 1


def test_no_email_copy_asks_again_once_the_prompt_is_answered(clinic):
    _patient, followup = _prompted(clinic, notify_email=False)
    engine.dispatcher.followups_queue_due(now=timezone.now())
    services.followups.followup_answer(followup=followup, answer=FollowUp.Answer.NO_SYMPTOMS)
    # A text that was already with Twilio when the patient answered, refused for good afterwards.
    OutboundEmail.objects.filter(followup=followup).update(status=OutboundEmail.Status.FAILED, last_error="21211")
    sms = _rows(followup)[SMS]
    assert engine.undeliverable.email_undeliverable(email=sms) == []
    assert set(_rows(followup)) == {SMS}
    assert FollowUp.objects.get(pk=followup.pk).status == FollowUp.Status.ANSWERED


def test_an_unreachable_sms_provider_holds_the_other_texts_but_not_the_emails(clinic, settings):
    settings.SMS_URL = TwilioApi().sms_url().replace("api_url=http://127.0.0.1:", "api_url=http://127.0.0.1:9&x=")
    followups = [_prompted(clinic, email=f"p{n}@example.test")[1] for n in range(2)]
    engine.dispatcher.followups_queue_due(now=timezone.now())
    result = engine.delivery.email_deliver()
    texts = OutboundEmail.objects.filter(followup__in=followups, channel=SMS).order_by("pk")
    assert [(t.status, t.attempts) for t in texts] == [("pending", 1), ("pending", 0)]  # the second never tried
    assert "unreachable" in texts[0].last_error
    assert len(mail.outbox) == 2 and result.sent == 2


def test_a_caregiver_removed_while_their_text_was_on_its_way_gets_no_email_instead(clinic):
    patient, followup = _prompted(clinic)
    caregiver, link = _carer_on_texts(patient, notify_email=False)
    engine.dispatcher.followups_queue_due(now=timezone.now())
    theirs = OutboundEmail.objects.get(followup=followup, to_user=caregiver)
    # Claimed by a worker (no longer pending, so removal cannot cancel it), then the patient removes them.
    now = timezone.now()
    OutboundEmail.objects.filter(pk=theirs.pk).update(
        status=OutboundEmail.Status.SENDING, claimed_at=now, lease_until=now + timedelta(minutes=5)
    )
    services.caregivers.care_link_remove(link=link, by=patient)
    theirs.refresh_from_db()
    assert theirs.status == OutboundEmail.Status.SENDING  # removal cancelled only what was still pending
    OutboundEmail.objects.filter(pk=theirs.pk).update(
        status=OutboundEmail.Status.FAILED, lease_until=None, last_error="Twilio 400 error 21614"
    )
    theirs.refresh_from_db()
    assert engine.undeliverable.email_undeliverable(email=theirs) == []
    assert not OutboundEmail.objects.filter(to_user=caregiver, channel=EMAIL).exists()
