"""The clinician's patient page says how the patient is reached: channels, a STOP, a number that cannot take
texts, paused or stopped follow-ups, and the caregivers (reactions/selectors/reach.py)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from reactions import services
from reactions.models import User
from tests.factories import make_caregiver, make_push_device

pytestmark = pytest.mark.django_db

MOBILE = "+447400123456"


def _page(client, patient: User) -> str:
    response = client.get(reverse("clinic_patient_detail", args=[patient.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _reach(page: str) -> str:
    """The "How the patient is reached" section, whitespace collapsed."""
    section = re.search(r'<section aria-labelledby="reach-title".*?</section>', page, re.S).group(0)
    return " ".join(section.split())


def _set(patient: User, **fields) -> None:
    User.objects.filter(pk=patient.pk).update(**fields)


def test_the_channels_the_messages_go_by(clinician_client, patient):
    _set(patient, notify_sms=True, phone=MOBILE)
    make_push_device(patient)
    make_push_device(patient)
    reach = _reach(_page(clinician_client, patient))
    assert "Follow-up messages go by:</p>" in reach
    assert "<li>E-mail</li>" in reach
    assert "<li>Text messages to 07400 123456</li>" in reach
    assert "<li>Notifications on 2 devices</li>" in reach
    assert "alert-warning" not in reach


def test_a_stop_is_a_warning_with_its_date_and_time(clinician_client, clinician, patient):
    _set(patient, notify_email=False, notify_sms=True, phone=MOBILE)
    stopped_at = timezone.now() - timedelta(days=2)
    services.sms.sms_stop(phone=MOBILE, now=stopped_at)
    reach = _reach(_page(clinician_client, patient))
    with timezone.override(clinician.tzinfo):
        when = timezone.localtime(stopped_at).strftime("%-d %b %Y, %H:%M")
    assert (
        f'<p class="alert alert-warning">Replied STOP to texts on {when}: texts paused until they reply START.</p>'
        in reach
    )
    assert "Text messages to" not in reach
    assert "<li>E-mail (nothing they chose can reach them)</li>" in reach


@pytest.mark.parametrize(
    ("phone", "said"),
    [("", "no phone number on file"), ("+442079460000", "not a mobile number")],
)
def test_texts_chosen_for_a_number_that_cannot_take_them(clinician_client, patient, phone, said):
    _set(patient, notify_sms=True, phone=phone)
    reach = _reach(_page(clinician_client, patient))
    assert f'<p class="alert alert-warning">They chose texts, but no texts go: {said}.</p>' in reach
    assert "Text messages to" not in reach and "<li>E-mail</li>" in reach


def test_paused_and_stopped_follow_ups_are_said_once_as_warnings(clinician_client, clinician, patient):
    assert "Follow-up messages go by:" in _reach(_page(clinician_client, patient))
    services.accounts.patient_followups_set(patient=patient, choice="pause")
    page = _page(clinician_client, patient)
    until = User.objects.get(pk=patient.pk).followups_paused_until
    assert "Follow-up messages <strong>paused</strong> until " in _reach(page)
    with timezone.override(clinician.tzinfo):
        until = timezone.localtime(until)
    assert f"{until:%-d %b %Y}: nobody is asked how they are till then" in _reach(page)
    assert page.count("<strong>paused</strong>") == 1  # said here only, not again in the heading
    assert "Once they resume, follow-up messages go by:" in _reach(page)
    services.accounts.patient_followups_set(patient=patient, choice="stop")
    page = _page(clinician_client, patient)
    assert "Follow-up messages <strong>stopped</strong> since " in _reach(page)
    assert page.count("<strong>stopped</strong>") == 1


def test_the_current_caregivers_with_their_email_since_when_and_the_questions(clinician_client, clinician, patient):
    _carer, link = make_caregiver(patient, full_name="Chris Carer", email="chris@example.test")
    make_caregiver(patient, full_name="Dee Helper", email="dee@example.test", receives_prompts=False)
    _former, removed = make_caregiver(patient, full_name="Fay Former")
    services.caregivers.care_link_remove(link=removed, by=patient)
    reach = _reach(_page(clinician_client, patient))
    with timezone.override(clinician.tzinfo):
        since = timezone.localtime(link.created_at).strftime("%-d %b %Y")
    assert f"Chris Carer · chris@example.test · since {since} · gets the follow-up questions too" in reach
    assert "Dee Helper · dee@example.test · since" in reach and "does not get the follow-up questions" in reach
    assert "Fay Former" not in reach


def test_no_caregivers_is_said(clinician_client, patient):
    assert '<h3 class="h6">Caregivers</h3> <ul class="list-unstyled small mb-0"> <li>No caregivers.</li>' in _reach(
        _page(clinician_client, patient)
    )


def test_a_stop_a_new_device_and_a_caregiver_change_show_on_the_next_page(clinician_client, patient):
    # Nothing of this block is cached: each change, made as the app makes it, shows at once.
    _set(patient, notify_sms=True, phone=MOBILE)
    _carer, link = make_caregiver(patient, full_name="Chris Carer")
    before = _reach(_page(clinician_client, patient))
    assert "Text messages to 07400 123456" in before and "Chris Carer" in before and "Notifications" not in before
    services.sms.sms_stop(phone=MOBILE)
    make_push_device(patient)
    services.caregivers.care_link_set_prompts(link=link, receives_prompts=False)
    after = _reach(_page(clinician_client, patient))
    assert "Replied STOP to texts on" in after and "Text messages to" not in after
    assert "<li>Notifications on 1 device</li>" in after
    assert "Chris Carer" in after and "does not get the follow-up questions" in after
    services.caregivers.care_link_remove(link=link, by=patient)
    services.sms.sms_start(phone=MOBILE)
    last = _reach(_page(clinician_client, patient))
    assert "Chris Carer" not in last and "Replied STOP" not in last and "Text messages to 07400 123456" in last


def test_a_clinician_of_another_clinic_gets_a_404(login, foreign_clinician, patient):
    make_caregiver(patient, full_name="Chris Carer")
    response = login(foreign_clinician).get(reverse("clinic_patient_detail", args=[patient.pk]))
    assert response.status_code == 404 and "Chris Carer" not in response.content.decode()


def test_the_page_queries_do_not_grow_with_caregivers_or_devices(clinician_client, patient, count_queries):
    _set(patient, notify_sms=True, phone=MOBILE)
    make_caregiver(patient)
    make_push_device(patient)
    url = reverse("clinic_patient_detail", args=[patient.pk])
    small = count_queries(clinician_client, url)
    for _ in range(5):
        make_caregiver(patient)
        make_push_device(patient)
    assert count_queries(clinician_client, url) == small
