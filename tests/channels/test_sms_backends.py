"""SMS backends: the Twilio backend against a local server speaking Twilio's API, the file and memory ones."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from twilio.request_validator import RequestValidator

from reactions.channels.sms import SmsPermanentError, SmsTemporaryError, get_backend, sms_config
from reactions.channels.sms.locmem import outbox
from tests.twilio_api import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER

TO = "+447400123456"


def test_the_sdk_posts_the_form_to_the_accounts_messages_resource_with_basic_auth(twilio_api, settings):
    settings.SITE_URL = "https://ivigtrack.example.org"
    sid = get_backend(twilio_api.sms_url()).send(TO, "ivigtrack: hello")
    assert sid.startswith("SM") and twilio_api.sids == [sid]
    assert twilio_api.problems == []
    assert twilio_api.messages == [
        {
            "To": TO,
            "From": FROM_NUMBER,
            "Body": "ivigtrack: hello",
            "StatusCallback": "https://ivigtrack.example.org/sms/status/",
        }
    ]


def test_each_text_asks_twilio_for_its_delivery_receipts_at_the_sites_status_webhook(twilio_api, settings):
    settings.SITE_URL = "https://clinic.example.net"
    get_backend(twilio_api.sms_url()).send(TO, "hi")
    (message,) = twilio_api.messages
    assert message["StatusCallback"] == "https://clinic.example.net" + reverse("sms_status")
    url, form, signature = twilio_api.receipt(TO, "delivered")
    assert url == message["StatusCallback"] and form["MessageSid"] == twilio_api.sids[0]
    assert RequestValidator(AUTH_TOKEN).validate(url, form, signature)


def test_a_messaging_service_sends_instead_of_a_from_number(twilio_api):
    url = twilio_api.sms_url(messaging_service_sid="MG" + "2" * 32).replace(
        f"from={FROM_NUMBER.replace('+', '%2B')}&", ""
    )
    get_backend(url).send(TO, "hi")
    assert twilio_api.problems == []
    (message,) = twilio_api.messages
    assert {key: message[key] for key in ("To", "MessagingServiceSid", "Body")} == {
        "To": TO,
        "MessagingServiceSid": "MG" + "2" * 32,
        "Body": "hi",
    }
    assert "From" not in message


@pytest.mark.parametrize("code", [21211, 21614])
def test_a_number_twilio_refuses_is_a_permanent_failure(twilio_api, code):
    twilio_api.refuse[TO] = code
    with pytest.raises(SmsPermanentError, match=str(code)) as raised:
        get_backend(twilio_api.sms_url()).send(TO, "hi")
    assert raised.value.stopped is False and twilio_api.messages == []


def test_an_unsubscribed_number_is_permanent_and_says_the_recipient_stopped(twilio_api):
    twilio_api.refuse[TO] = 21610
    with pytest.raises(SmsPermanentError) as raised:
        get_backend(twilio_api.sms_url()).send(TO, "hi")
    assert raised.value.stopped is True


@pytest.mark.parametrize("status", [429, 500, 503])
def test_rate_limits_and_server_errors_are_temporary(twilio_api, status):
    twilio_api.script.append(status)
    with pytest.raises(SmsTemporaryError, match=str(status)):
        get_backend(twilio_api.sms_url()).send(TO, "hi")
    assert twilio_api.requests == 1  # the SDK does not retry by itself: the engine's backoff does


def test_a_wrong_auth_token_is_refused_and_permanent(twilio_api):
    url = twilio_api.sms_url().replace(AUTH_TOKEN, "wrong-token")
    with pytest.raises(SmsPermanentError, match="401"):
        get_backend(url).send(TO, "hi")


def test_an_unreachable_api_is_temporary():
    url = f"twilio://{ACCOUNT_SID}:{AUTH_TOKEN}@/?from=%2B447400000001&api_url=http://127.0.0.1:9"
    with pytest.raises(SmsTemporaryError, match="unreachable"):
        get_backend(url).send(TO, "hi")


def test_sms_url_keeps_a_plus_in_the_from_number_and_the_credentials():
    config = sms_config(f"twilio://{ACCOUNT_SID}:{AUTH_TOKEN}@/?from=+447400000001")
    assert (config.account_sid, config.auth_token, config.options["from"]) == (ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER)


def test_a_twilio_url_without_a_sender_or_an_unknown_scheme_is_refused():
    with pytest.raises(ValueError, match="from="):
        get_backend(f"twilio://{ACCOUNT_SID}:{AUTH_TOKEN}@/")
    with pytest.raises(ImproperlyConfigured):
        get_backend("carrierpigeon://")


def test_the_file_backend_writes_one_file_per_text(tmp_path):
    backend = get_backend(f"file://{tmp_path / 'sms'}")
    backend.send(TO, "one")
    backend.send(TO, "two")
    files = sorted((tmp_path / "sms").iterdir())
    assert len(files) == 2
    assert {f.read_text().split("\n\n", 1)[1].strip() for f in files} == {"one", "two"}
    assert all(f.read_text().startswith(f"To: {TO}\n") for f in files)


def test_the_memory_backend_keeps_texts_for_tests():
    get_backend("locmem://").send(TO, "hi")
    assert [(s.to, s.body) for s in outbox] == [(TO, "hi")]
