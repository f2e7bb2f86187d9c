"""Web push against a push service on loopback that checks VAPID and decrypts the payload (tests/push_service.py)."""

from __future__ import annotations

import json
import stat
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from reactions import services
from reactions.channels import push
from reactions.channels.push import PushOutcome, push_deliver_to_user, user_has_push
from reactions.models import PushSubscription
from reactions.services.messages import render_short
from tests.factories import InfusionFactory, PatientFactory, make_report
from tests.push_service import Device, PushService, b64url
from tests.smtp import _free_port

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("own_vapid_key")]

URL = "https://ivigtrack.example.test/f/token/"


def _subscribe(service: PushService, user, *, answer: int | None = None) -> PushSubscription:
    endpoint, device = service.subscribe()
    if answer:
        service.answers[service.token_of(endpoint)] = answer
    return services.push.push_subscribe(
        user=user, endpoint=endpoint, p256dh=device.p256dh, auth=device.auth, device_label="Chrome · Android"
    )


def _deliver(user) -> PushOutcome:
    # The words of a prompt's notification, as the outbox renders them for the push channel.
    body = render_short("push", "followup-prompt", {"recipient": user})
    return push_deliver_to_user(user=user, title="ivigtrack", body=body, url=URL)


def test_the_payload_decrypts_to_title_body_and_url_and_holds_no_health_data(push_service):
    patient = PatientFactory(full_name="Alex Morgan")
    make_report(infusion=InfusionFactory(patient=patient), symptoms=[("headache", "severe")], notes="migraine")
    subscription = _subscribe(push_service, patient)

    assert _deliver(patient) == PushOutcome.SENT

    assert push_service.problems == []
    (delivery,) = push_service.deliveries
    assert delivery.payload == {"title": "ivigtrack", "body": "A follow-up question is waiting for you.", "url": URL}
    text = json.dumps(delivery.payload).lower()
    for private in ("alex", "morgan", "headache", "migraine", "privigen", "severe", "ivig "):
        assert private not in text
    # Signed by the key the pages give browsers, for this push service, naming who sends.
    assert delivery.vapid_key == push.vapid_public_key()
    assert delivery.claims["sub"] == "mailto:noreply@ivigtrack.invalid"
    assert delivery.ttl == push.DEFAULT_TTL_SECONDS and delivery.urgency == "high"
    subscription.refresh_from_db()
    assert subscription.last_success_at is not None and subscription.last_error == ""


def test_the_notification_is_in_the_patients_language(push_service):
    patient = PatientFactory(language="es")
    _subscribe(push_service, patient)
    assert _deliver(patient) == PushOutcome.SENT
    assert push_service.deliveries[0].payload["body"] == "Tiene una pregunta de seguimiento esperándole."


@pytest.mark.parametrize("status", [404, 410])
def test_a_subscription_the_push_service_no_longer_knows_is_forgotten(push_service, status):
    patient = PatientFactory()
    subscription = _subscribe(push_service, patient, answer=status)
    assert _deliver(patient) == PushOutcome.NO_DEVICE
    assert not PushSubscription.objects.filter(pk=subscription.pk).exists()
    assert not user_has_push(patient)


@pytest.mark.parametrize("status", [429, 500, 503])
def test_a_temporary_refusal_is_retried_and_the_subscription_kept(push_service, status):
    patient = PatientFactory()
    subscription = _subscribe(push_service, patient, answer=status)
    assert _deliver(patient) == PushOutcome.RETRY
    subscription.refresh_from_db()
    assert subscription.last_failure_at is not None and subscription.last_error.startswith(str(status))
    assert subscription.last_success_at is None
    assert push_service.problems == []  # it was a well-formed push, refused as the test asked


@pytest.mark.parametrize("status", [400, 403, 413])
def test_a_refusal_for_good_is_permanent_and_the_subscription_kept(push_service, status):
    patient = PatientFactory()
    subscription = _subscribe(push_service, patient, answer=status)
    assert _deliver(patient) == PushOutcome.PERMANENT
    subscription.refresh_from_db()
    assert subscription.last_error.startswith(str(status))


def test_an_unreachable_push_service_is_retried(settings):
    settings.PUSH_TIMEOUT_SECONDS = 2
    patient = PatientFactory()
    subscription = services.push.push_subscribe(
        user=patient,
        endpoint=f"http://127.0.0.1:{_free_port()}/push/nobody-listens",
        p256dh=Device().p256dh,
        auth=Device().auth,
        device_label="",
    )
    assert _deliver(patient) == PushOutcome.RETRY
    subscription.refresh_from_db()
    assert "ConnectionError" in subscription.last_error


def test_no_device_is_said_so_and_sends_nothing(push_service):
    patient = PatientFactory()
    _subscribe(push_service, PatientFactory())  # someone else's phone
    assert not user_has_push(patient)
    assert _deliver(patient) == PushOutcome.NO_DEVICE
    assert push_service.deliveries == []


def test_every_device_gets_its_own_copy_encrypted_for_it(push_service):
    patient = PatientFactory()
    phones = [_subscribe(push_service, patient) for _ in range(3)]
    assert user_has_push(patient)
    assert _deliver(patient) == PushOutcome.SENT
    assert push_service.problems == []
    assert sorted(d.token for d in push_service.deliveries) == sorted(PushService.token_of(p.endpoint) for p in phones)
    assert all(d.payload["url"] == URL for d in push_service.deliveries)


def test_one_device_accepting_is_enough_and_gone_ones_are_dropped(push_service):
    patient = PatientFactory()
    working = _subscribe(push_service, patient)
    gone = _subscribe(push_service, patient, answer=410)
    busy = _subscribe(push_service, patient, answer=500)
    assert _deliver(patient) == PushOutcome.SENT  # not retried: the working phone would show it twice
    assert set(patient.push_subscriptions.values_list("pk", flat=True)) == {working.pk, busy.pk}
    assert gone.pk not in set(PushSubscription.objects.values_list("pk", flat=True))


@pytest.mark.parametrize(("answers", "outcome"), [((410, 500), PushOutcome.RETRY), ((410, 413), PushOutcome.PERMANENT)])
def test_nothing_sent_retries_if_any_failure_may_pass(push_service, answers, outcome):
    patient = PatientFactory()
    for answer in answers:
        _subscribe(push_service, patient, answer=answer)
    assert _deliver(patient) == outcome
    assert patient.push_subscriptions.count() == 1  # the gone one is forgotten


def test_a_new_user_subscribing_a_browser_takes_it_over(push_service):
    first, second = PatientFactory(), PatientFactory()
    endpoint, device = push_service.subscribe()
    for user in (first, second):
        services.push.push_subscribe(
            user=user, endpoint=endpoint, p256dh=device.p256dh, auth=device.auth, device_label="Firefox · Linux"
        )
    assert _deliver(first) == PushOutcome.NO_DEVICE
    assert _deliver(second) == PushOutcome.SENT


# --- VAPID keys ---------------------------------------------------------------------------------


def test_the_embedded_default_makes_its_key_once_and_keeps_it_private(settings):
    key_file: Path = settings.VAPID_KEY_FILE
    assert not key_file.exists()
    public = push.vapid_public_key()
    assert key_file.exists() and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    pem = key_file.read_bytes()
    push._vapid_keys.cache_clear()  # as a new process would
    assert push.vapid_public_key() == public
    assert key_file.read_bytes() == pem
    assert [p.name for p in key_file.parent.iterdir()] == ["private.pem"]


def test_processes_starting_at_once_agree_on_one_key(tmp_path):
    key_file = tmp_path / "vapid" / "private.pem"
    start = threading.Barrier(8)
    keys: list[bytes] = []

    def first_use() -> None:
        start.wait()
        key = push._private_key_from_file(key_file)
        keys.append(
            key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)
        )

    threads = [threading.Thread(target=first_use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(keys) == 8 and len(set(keys)) == 1
    assert [p.name for p in key_file.parent.iterdir()] == ["private.pem"]  # no candidate left behind


def test_keys_from_the_environment_are_used_and_checked(settings, push_service, capsys):
    call_command("vapid_keys")
    printed = dict(line.split("=", 1) for line in capsys.readouterr().out.split())
    settings.VAPID_PRIVATE_KEY = printed["VAPID_PRIVATE_KEY"]
    settings.VAPID_SUBJECT = "https://clinic.example.org/contact"
    assert push.vapid_public_key() == printed["VAPID_PUBLIC_KEY"]
    assert not settings.VAPID_KEY_FILE.exists()  # nothing generated when the environment gives a key

    patient = PatientFactory()
    _subscribe(push_service, patient)
    assert _deliver(patient) == PushOutcome.SENT
    assert push_service.problems == []
    assert push_service.deliveries[0].vapid_key == printed["VAPID_PUBLIC_KEY"]
    assert push_service.deliveries[0].claims["sub"] == "https://clinic.example.org/contact"

    settings.VAPID_PUBLIC_KEY = printed["VAPID_PUBLIC_KEY"]
    assert push.vapid_public_key() == printed["VAPID_PUBLIC_KEY"]
    settings.VAPID_PUBLIC_KEY = push.new_vapid_key_pair()[1]
    with pytest.raises(ImproperlyConfigured, match="not the public key"):
        push.vapid_public_key()


def test_a_pem_key_in_the_environment_works_too(settings):
    private, public = push.new_vapid_key_pair()
    settings.VAPID_PRIVATE_KEY = private
    key = push.vapid_keys().vapid.private_key
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    settings.VAPID_PRIVATE_KEY = pem.replace("\n", "\\n")  # as one line in an environment file
    assert push.vapid_public_key() == public
    settings.VAPID_PRIVATE_KEY = "not a key"
    with pytest.raises(ImproperlyConfigured):
        push.vapid_public_key()


# --- The local push service checks what a real one does ------------------------------------------


def test_the_local_push_service_refuses_a_token_signed_by_another_key(push_service):
    """Without this, the checks above could pass whatever the app sent."""
    import requests
    from py_vapid import Vapid

    endpoint, _device = push_service.subscribe()
    signer, other = Vapid(), Vapid()
    signer.generate_keys()
    other.generate_keys()
    claims = {"sub": "mailto:a@example.test", "aud": push_service.origin}
    token = signer.sign(claims)["Authorization"].split("t=")[1].split(",")[0]
    other_key = b64url(
        other.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    headers = {"Authorization": f"vapid t={token},k={other_key}", "Content-Encoding": "aes128gcm", "TTL": "60"}
    assert requests.post(endpoint, data=b"x", headers=headers, timeout=5).status_code == 401
    assert push_service.problems == ["VAPID: the JWT is not signed by the key k"]
