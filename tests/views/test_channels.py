"""A patient chooses how follow-up messages reach them: on their profile and on their e-mail settings page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reactions import services
from reactions.models import User

pytestmark = pytest.mark.django_db


def _choose(client, url, **fields):
    return client.post(url, {"channels": "1", **{k: "on" for k, v in fields.items() if v}})


def test_a_patient_with_a_mobile_number_chooses_texts_and_email(patient_client, patient):
    services.accounts.user_set_phone(user=patient, phone="+447400123456")
    response = _choose(patient_client, reverse("profile"), notify_email=True, notify_sms=True)
    assert response.status_code == 302
    patient.refresh_from_db()
    assert (patient.notify_email, patient.notify_sms) == (True, True)
    page = patient_client.get(reverse("profile")).content.decode()
    assert "How we send your follow-up messages" in page and "is saved" in page


def test_texts_only_and_back_to_email_only(patient_client, patient):
    services.accounts.user_set_phone(user=patient, phone="+447400123456")
    assert _choose(patient_client, reverse("profile"), notify_sms=True).status_code == 302
    assert User.objects.values_list("notify_email", "notify_sms").get(pk=patient.pk) == (False, True)
    assert _choose(patient_client, reverse("profile"), notify_email=True).status_code == 302
    assert User.objects.values_list("notify_email", "notify_sms").get(pk=patient.pk) == (True, False)


@pytest.mark.parametrize(
    ("phone", "error"),
    [("", "Add your mobile number"), ("+442079460000", "cannot get texts")],
)
def test_texts_need_a_mobile_number(patient_client, patient, phone, error):
    services.accounts.user_set_phone(user=patient, phone=phone)
    response = _choose(patient_client, reverse("profile"), notify_email=True, notify_sms=True)
    assert response.status_code == 200 and error in response.content.decode()
    assert User.objects.get(pk=patient.pk).notify_sms is False


def test_at_least_one_way_must_be_chosen(patient_client, patient):
    response = _choose(patient_client, reverse("profile"))
    assert response.status_code == 200 and "Choose at least one way" in response.content.decode()
    assert User.objects.get(pk=patient.pk).notify_email is True


def test_the_email_settings_link_offers_the_same_choice_and_says_when_stop_was_texted(patient):
    services.accounts.user_set_phone(user=patient, phone="+447400123456")
    url = reverse("email_preferences", args=[services.links.email_preferences_token(user=patient)])
    client = Client()
    assert client.get(url).status_code == 200  # a scanner's GET changes nothing
    assert User.objects.get(pk=patient.pk).notify_sms is False
    assert _choose(client, url, notify_email=True, notify_sms=True).status_code == 302
    assert User.objects.get(pk=patient.pk).notify_sms is True
    User.objects.filter(pk=patient.pk).update(sms_stopped_at=timezone.now())
    assert "You replied STOP" in client.get(url).content.decode()
