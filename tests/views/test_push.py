"""Turning notifications on and off: the subscription the page's script posts, the devices on the profile.

A browser cannot subscribe here (no push service is reachable), so these tests post what
PushSubscription.toJSON() gives, with keys made as a browser makes them (tests/push_service.py).
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from reactions.channels.push import vapid_public_key
from reactions.models import PushSubscription
from tests.factories import InfusionFactory, make_caregiver, make_push_device, make_report
from tests.push_service import Device

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("own_vapid_key")]

ENDPOINT = "https://fcm.googleapis.com/fcm/send/dGhpcy1kZXZpY2U:APA91bH"
ANDROID_CHROME = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)


def _subscription(endpoint: str = ENDPOINT) -> dict[str, str]:
    device = Device()
    return {"endpoint": endpoint, "p256dh": device.p256dh, "auth": device.auth}


def test_a_patient_saves_this_phones_subscription(patient_client, patient):
    data = _subscription()
    response = patient_client.post(reverse("push_subscribe"), data, headers={"user-agent": ANDROID_CHROME})
    assert response.status_code == 201
    saved = PushSubscription.objects.get()
    assert response.json() == {"id": saved.pk}
    assert (saved.user, saved.endpoint, saved.p256dh, saved.auth) == (patient, ENDPOINT, data["p256dh"], data["auth"])
    assert saved.device_label == "Chrome · Android"
    # The browser gives the same subscription again (a second "turn on"): still one device, new keys kept.
    again = {**_subscription(), "endpoint": ENDPOINT}
    assert patient_client.post(reverse("push_subscribe"), again).status_code == 201
    assert PushSubscription.objects.get().p256dh == again["p256dh"]


def test_the_subscription_needs_the_csrf_token(patient):
    client = Client(enforce_csrf_checks=True)
    client.force_login(patient)
    page = client.get(reverse("profile")).content.decode()
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)  # what push.js sends
    assert client.post(reverse("push_subscribe"), _subscription()).status_code == 403
    assert not PushSubscription.objects.exists()
    assert client.post(reverse("push_subscribe"), _subscription(), headers={"x-csrftoken": token}).status_code == 201


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://fcm.googleapis.com/fcm/send/x",  # not HTTPS
        "https://127.0.0.1/push/x",  # our own machine
        "https://10.0.0.5/push/x",  # our own network
        "https://metadata.google.internal/computeMetadata/v1/",
        "https://fcm.googleapis.com.evil.example/x",
        "https://user:pw@fcm.googleapis.com/fcm/send/x",
        "https://fcm.googleapis.com:8443/fcm/send/x",
        "javascript:alert(1)",
        "",
    ],
)
def test_an_endpoint_that_is_no_push_service_is_refused(patient_client, endpoint):
    response = patient_client.post(reverse("push_subscribe"), _subscription(endpoint))
    assert response.status_code == 400 and "endpoint" in response.json()["errors"]
    assert not PushSubscription.objects.exists()


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://updates.push.services.mozilla.com/wpush/v2/gAAAAABn",
        "https://web.push.apple.com/QGuQyavXutnMH",
        "https://wns2-par02p.notify.windows.com/w/?token=BQYAAA",
    ],
)
def test_the_browsers_push_services_are_accepted(patient_client, endpoint):
    assert patient_client.post(reverse("push_subscribe"), _subscription(endpoint)).status_code == 201


@pytest.mark.parametrize(
    ("field", "value"),
    [("p256dh", "AAAA"), ("p256dh", "not base64!"), ("auth", "AAAA"), ("auth", ""), ("p256dh", "")],
)
def test_keys_that_are_not_a_browsers_are_refused(patient_client, field, value):
    data = {**_subscription(), field: value}
    response = patient_client.post(reverse("push_subscribe"), data)
    assert response.status_code == 400 and field in response.json()["errors"]
    assert not PushSubscription.objects.exists()


def test_the_profile_lists_the_devices_and_removes_one(patient_client, patient, other_patient):
    phone = make_push_device(patient)
    laptop = make_push_device(
        patient, endpoint="https://updates.push.services.mozilla.com/wpush/v2/x", label="Firefox · Linux"
    )
    theirs = make_push_device(
        other_patient, endpoint="https://fcm.googleapis.com/fcm/send/theirs", label="Safari · iPhone"
    )
    page = patient_client.get(reverse("profile")).content.decode()
    assert "Chrome · Android" in page and "Firefox · Linux" in page and "Safari · iPhone" not in page
    assert f'data-public-key="{vapid_public_key()}"' in page
    assert reverse("push_subscription_delete", args=[phone.pk]) in page

    response = patient_client.post(reverse("push_subscription_delete", args=[phone.pk]))
    assert response.status_code == 302 and response.url == reverse("profile")
    assert set(PushSubscription.objects.values_list("pk", flat=True)) == {laptop.pk, theirs.pk}
    assert patient_client.post(reverse("push_subscription_delete", args=[theirs.pk])).status_code == 404
    assert patient_client.post(reverse("push_subscription_delete", args=[phone.pk])).status_code == 404
    assert PushSubscription.objects.filter(pk=theirs.pk).exists()


def test_the_profile_says_so_when_no_device_gets_notifications(patient_client):
    page = patient_client.get(reverse("profile")).content.decode()
    assert "No device gets notifications yet." in page
    assert 'src="/static/js/push.js"' in page


def test_the_report_page_offers_notifications_after_a_report(patient_client, patient):
    report = make_report(infusion=InfusionFactory(patient=patient), symptoms=[("headache", "mild")])
    page = patient_client.get(reverse("report_detail", args=[report.pk])).content.decode()
    assert "Get follow-up questions as notifications on this phone?" in page
    # Hidden until push.js has seen that this browser can do it and is not subscribed yet.
    assert re.search(r'<section[^>]*hidden data-push="offer"', page)
    assert f'data-public-key="{vapid_public_key()}"' in page


def test_a_report_that_calls_for_urgent_care_offers_nothing_else(patient_client, patient):
    report = make_report(infusion=InfusionFactory(patient=patient), symptoms=[("chest_pain", "severe")])
    page = patient_client.get(reverse("report_detail", args=[report.pk])).content.decode()
    assert report.is_severe
    assert "data-push" not in page and "push.js" not in page


def test_a_deleted_account_gets_no_more_notifications(clinic_admin, patient):
    from reactions import services

    make_push_device(patient)
    deletion = services.accounts.deletion_request_create(patient=patient)
    services.accounts.deletion_confirm(deletion=deletion, by=clinic_admin)
    assert not PushSubscription.objects.exists()


def test_a_caregiver_turns_on_notifications_for_their_own_phone(caregiver_client_and_user):
    client, caregiver = caregiver_client_and_user
    assert client.post(reverse("push_subscribe"), _subscription()).status_code == 201
    device = PushSubscription.objects.get()
    assert device.user == caregiver
    page = client.get(reverse("care_account")).content.decode()
    assert reverse("push_subscription_delete", args=[device.pk]) in page
    response = client.post(reverse("push_subscription_delete", args=[device.pk]))
    assert response.status_code == 302 and response.url == reverse("care_account")
    assert not PushSubscription.objects.exists()


def test_a_caregiver_helping_after_a_report_is_offered_notifications_for_their_copies(
    patient, caregiver_client_and_user
):
    client, _caregiver = caregiver_client_and_user
    report = make_report(infusion=InfusionFactory(patient=patient), symptoms=[("headache", "mild")])
    page = client.get(reverse("report_detail", args=[report.pk])).content.decode()
    assert 'data-push="offer"' in page and "These are the questions you get for the people you help." in page


@pytest.fixture
def caregiver_client_and_user(patient):
    caregiver, _link = make_caregiver(patient)
    client = Client()
    client.force_login(caregiver)
    return client, caregiver
