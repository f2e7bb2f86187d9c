"""Texted links and Twilio's webhooks: the /s/ short link, the STOP/START webhook and the delivery receipts."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from twilio.request_validator import RequestValidator

from reactions import engine, services
from reactions.models import FollowUp, OutboundEmail, User
from reactions.services.links import ShortLinkKind, short_token
from tests.factories import InfusionFactory, PatientFactory, clinic_for_engine_tests, make_caregiver
from tests.twilio_api import AUTH_TOKEN, TwilioApi

pytestmark = pytest.mark.django_db

MOBILE = "+447400123456"


@pytest.fixture
def prompted(patient):
    infusion = InfusionFactory(patient=patient)
    return FollowUp.objects.create(
        infusion=infusion, patient=patient, offset_hours=2, due_at=infusion.ended_at, status=FollowUp.Status.PROMPTED
    )


# --- The short link ---------------------------------------------------------------------------------


def test_a_short_link_redirects_to_the_answer_page_and_records_nothing(prompted):
    client = Client()
    url = reverse("short_link", args=[short_token(kind=ShortLinkKind.FOLLOWUP, pk=prompted.pk)])
    for _ in range(3):  # a link preview, a scanner, the patient
        response = client.get(url)
        assert response.status_code == 302
    page = client.get(response.url)
    assert page.status_code == 200 and "No new symptoms" in page.content.decode()
    assert response.url == reverse("followup_answer", args=[response.url.split("/")[2]])
    prompted.refresh_from_db()
    assert prompted.status == FollowUp.Status.PROMPTED
    assert client.post(url).status_code == 405  # nothing to post to


def test_a_short_link_to_the_settings_opens_the_patients_settings_page(patient):
    response = Client().get(reverse("short_link", args=[short_token(kind=ShortLinkKind.PREFERENCES, pk=patient.pk)]))
    assert response.status_code == 302
    assert "Your e-mail settings" in Client().get(response.url).content.decode()


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # the signature
        lambda t: "f" + "9" + t[2:],  # another follow-up, same signature
        lambda t: "nonsense",
        lambda t: "-" * 12,
    ],
)
def test_a_forged_short_link_gets_the_link_problem_page(prompted, mangle, caplog):
    token = mangle(short_token(kind=ShortLinkKind.FOLLOWUP, pk=prompted.pk))
    with caplog.at_level(logging.WARNING, logger="reactions.security"):
        response = Client().get(reverse("short_link", args=[token]))
    assert response.status_code == 400 and "not valid" in response.content.decode()
    assert "Refused short link" in caplog.text


def test_an_expired_short_link_says_so(prompted, settings):
    old = (timezone.now() - timedelta(days=15)).timestamp()
    token = short_token(kind=ShortLinkKind.FOLLOWUP, pk=prompted.pk, now=old)
    response = Client().get(reverse("short_link", args=[token]))
    assert response.status_code == 400 and "expired" in response.content.decode()
    settings.FOLLOWUP_LINK_MAX_AGE = 30 * 24 * 3600
    assert Client().get(reverse("short_link", args=[token])).status_code == 302


def test_a_caregivers_short_link_opens_their_copy_of_the_prompt(patient, prompted):
    caregiver, _link = make_caregiver(patient, full_name="Chris Carer")
    token = short_token(kind=ShortLinkKind.FOLLOWUP, pk=prompted.pk, recipient_id=caregiver.pk)
    response = Client().get(reverse("short_link", args=[token]))
    assert response.status_code == 302
    followup_token = response.url.split("/")[2]
    assert services.links.followup_from_token(token=followup_token).answering_caregiver == caregiver
    page = Client().get(response.url).content.decode()
    assert f"You are helping {patient.get_short_name()}" in page


def test_a_short_link_naming_someone_who_is_not_the_patients_caregiver_is_refused(patient, prompted, caplog):
    stranger, _link = make_caregiver(PatientFactory(clinic=patient.clinic))
    token = short_token(kind=ShortLinkKind.FOLLOWUP, pk=prompted.pk, recipient_id=stranger.pk)
    with caplog.at_level(logging.WARNING, logger="reactions.security"):
        response = Client().get(reverse("short_link", args=[token]))
    assert response.status_code == 400 and "no longer cares for this patient" in caplog.text


def test_the_caregiver_in_a_short_link_is_signed(patient, prompted):
    caregiver, _link = make_caregiver(patient)
    other, _other_link = make_caregiver(patient)
    now = timezone.now().timestamp()
    theirs = short_token(kind=ShortLinkKind.FOLLOWUP, pk=prompted.pk, recipient_id=caregiver.pk, now=now)
    signature = theirs[-11:]
    # Another caregiver's, or the patient's own (no caregiver), under the first caregiver's signature: refused.
    for payload_of in (
        short_token(kind=ShortLinkKind.FOLLOWUP, pk=prompted.pk, recipient_id=other.pk, now=now),
        short_token(kind=ShortLinkKind.FOLLOWUP, pk=prompted.pk, now=now),
    ):
        forged = payload_of[:-11] + signature
        assert forged != theirs
        assert Client().get(reverse("short_link", args=[forged])).status_code == 400


def test_a_short_link_is_short(prompted, settings):
    settings.SITE_URL = "https://ivigtrack.example-clinic.org"
    assert len(services.links.short_url(kind=ShortLinkKind.FOLLOWUP, pk=10**7)) <= 64


# --- Twilio's webhook ---------------------------------------------------------------------------------


@pytest.fixture
def twilio(settings):
    api = TwilioApi()  # not started: only its credentials, for SMS_URL
    settings.SMS_URL = api.sms_url()
    settings.SITE_URL = "https://ivigtrack.example.org"
    return api


def _post(body: str, *, from_number: str = MOBILE, token: str = AUTH_TOKEN, path: str = "/sms/inbound/"):
    """Post as Twilio does: the form, signed over the URL Twilio was configured with."""
    form = {"MessageSid": "SM" + "3" * 32, "From": from_number, "To": "+447400000001", "Body": body}
    signature = RequestValidator(token).compute_signature("https://ivigtrack.example.org" + path, form)
    return Client().post(path, form, headers={"X-Twilio-Signature": signature})


@pytest.mark.parametrize("stop", ["STOP", "parar", "Stop."])
def test_stop_pauses_texts_to_that_number_and_start_resumes_them(twilio, stop):
    patient = PatientFactory(phone=MOBILE, notify_sms=True)
    other = PatientFactory(phone="+447400999999", notify_sms=True)
    response = _post(stop)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/xml")
    assert "<Response></Response>" in response.content.decode()
    patient.refresh_from_db()
    assert patient.sms_stopped_at is not None and patient.notify_sms  # their choice is kept for START
    assert User.objects.get(pk=other.pk).sms_stopped_at is None
    assert _post("START").status_code == 200
    patient.refresh_from_db()
    assert patient.sms_stopped_at is None


def test_any_other_reply_changes_nothing(twilio):
    patient = PatientFactory(phone=MOBILE, notify_sms=True)
    assert _post("stop the headache please").status_code == 200
    assert User.objects.get(pk=patient.pk).sms_stopped_at is None


@pytest.mark.parametrize("how", ["wrong token", "no signature", "other url", "changed body"])
def test_a_request_not_signed_by_twilio_is_refused_and_logged(twilio, how, caplog):
    patient = PatientFactory(phone=MOBILE, notify_sms=True)
    with caplog.at_level(logging.WARNING, logger="reactions.security"):
        if how == "wrong token":
            response = _post("STOP", token="not-the-token")
        elif how == "no signature":
            response = Client().post("/sms/inbound/", {"From": MOBILE, "Body": "STOP"})
        elif how == "other url":
            # Signed over the request's own host, not SITE_URL: what a Host header could make it.
            form = {"From": MOBILE, "Body": "STOP"}
            signature = RequestValidator(AUTH_TOKEN).compute_signature("http://testserver/sms/inbound/", form)
            response = Client().post("/sms/inbound/", form, headers={"X-Twilio-Signature": signature})
        else:
            form = {"From": MOBILE, "Body": "START"}
            signature = RequestValidator(AUTH_TOKEN).compute_signature(
                "https://ivigtrack.example.org/sms/inbound/", form
            )
            response = Client().post(
                "/sms/inbound/", {**form, "Body": "STOP"}, headers={"X-Twilio-Signature": signature}
            )
    assert response.status_code == 403
    assert "Refused SMS webhook" in caplog.text
    assert User.objects.get(pk=patient.pk).sms_stopped_at is None


def test_without_twilio_configured_the_webhook_refuses_everything(settings):
    settings.SMS_URL = "locmem://"
    form = {"From": MOBILE, "Body": "STOP"}
    signature = RequestValidator("").compute_signature("http://127.0.0.1:8000/sms/inbound/", form)
    assert Client().post("/sms/inbound/", form, headers={"X-Twilio-Signature": signature}).status_code == 403


# --- Twilio's delivery receipts -------------------------------------------------------------------------


@pytest.fixture
def sent_text(settings):
    """A prompt texted through a local server speaking Twilio's API, which was asked for its receipts."""
    settings.SITE_URL = "https://ivigtrack.example.org"
    api = TwilioApi().start()
    settings.SMS_URL = api.sms_url()
    patient = PatientFactory(clinic=clinic_for_engine_tests(), phone=MOBILE, notify_sms=True, notify_email=False)
    now = timezone.now()
    infusion = InfusionFactory(patient=patient, started_at=now - timedelta(hours=5), ended_at=now - timedelta(hours=2))
    services.followups.followups_sync(infusion=infusion)
    engine.dispatcher.dispatch_due()
    yield api, OutboundEmail.objects.get(channel=OutboundEmail.Channel.SMS, provider_id=api.sids[0])
    api.stop()


@pytest.mark.parametrize("how", ["wrong token", "no signature", "other url", "changed status", "inbound url"])
def test_a_receipt_not_signed_by_twilio_is_refused_and_changes_nothing(sent_text, how, caplog):
    api, text = sent_text
    url, form, signature = api.receipt(MOBILE, "undelivered", error_code="30003")
    path = "/sms/status/"
    headers = {"X-Twilio-Signature": signature}
    if how == "wrong token":
        headers["X-Twilio-Signature"] = RequestValidator("not-the-token").compute_signature(url, form)
    elif how == "no signature":
        headers = {}
    elif how == "other url":
        headers["X-Twilio-Signature"] = RequestValidator(AUTH_TOKEN).compute_signature("http://testserver" + path, form)
    elif how == "changed status":
        signed = {**form, "MessageStatus": "delivered", "SmsStatus": "delivered"}
        headers["X-Twilio-Signature"] = RequestValidator(AUTH_TOKEN).compute_signature(url, signed)
    else:  # a real signature, for the other webhook's URL
        headers["X-Twilio-Signature"] = RequestValidator(AUTH_TOKEN).compute_signature(
            "https://ivigtrack.example.org/sms/inbound/", form
        )
    with caplog.at_level(logging.WARNING, logger="reactions.security"):
        response = Client().post(path, form, headers=headers)
    assert response.status_code == 403 and "Refused SMS webhook" in caplog.text
    after = OutboundEmail.objects.get(pk=text.pk)
    assert (after.status, after.last_error, after.delivered_at) == (OutboundEmail.Status.SENT, "", None)
    assert OutboundEmail.objects.count() == 1 and after.delivery_attempts.count() == 1


def test_a_signed_receipt_is_answered_with_no_content_and_only_by_post(sent_text):
    api, text = sent_text
    _url, form, signature = api.receipt(MOBILE, "delivered")
    assert Client().get("/sms/status/").status_code == 405
    response = Client().post("/sms/status/", form, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 204 and response.content == b""
    assert OutboundEmail.objects.get(pk=text.pk).delivered_at is not None


def test_without_twilio_configured_the_receipt_webhook_refuses_everything(sent_text, settings):
    api, text = sent_text
    settings.SMS_URL = "locmem://"
    url, form, _signature = api.receipt(MOBILE, "undelivered", error_code="30003")
    signature = RequestValidator("").compute_signature(url, form)
    assert Client().post("/sms/status/", form, headers={"X-Twilio-Signature": signature}).status_code == 403
    assert OutboundEmail.objects.get(pk=text.pk).status == OutboundEmail.Status.SENT
