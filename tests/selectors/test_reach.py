"""How a patient is reached, as the clinician's patient page reads it (reactions/selectors/reach.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reactions import services
from reactions.channels import Channel
from reactions.models import User
from reactions.selectors.reach import TextsProblem, patient_reach
from tests.factories import PatientFactory, make_caregiver, make_push_device

pytestmark = pytest.mark.django_db

MOBILE = "+447400123456"
LANDLINE = "+442079460000"


def _subscribe(user: User, n: int) -> None:
    for _ in range(n):
        make_push_device(user)


def test_a_new_patient_is_reached_by_email_alone():
    reach = patient_reach(patient=PatientFactory())
    assert reach.channels == [Channel.EMAIL] and not reach.email_instead
    assert (reach.sms_phone, reach.devices, reach.texts_stopped_at, reach.texts_problem) == ("", 0, None, None)
    assert reach.caregivers == []


def test_texts_go_to_the_number_in_national_format():
    reach = patient_reach(patient=PatientFactory(notify_sms=True, phone=MOBILE))
    assert reach.channels == [Channel.EMAIL, Channel.SMS]
    assert reach.sms_phone == "07400 123456" and reach.texts_problem is None


def test_a_stop_is_said_with_its_time_and_takes_texts_away():
    patient = PatientFactory(notify_email=False, notify_sms=True, phone=MOBILE)
    stopped_at = timezone.now() - timedelta(hours=3)
    services.sms.sms_stop(phone=MOBILE, now=stopped_at)
    reach = patient_reach(patient=User.objects.get(pk=patient.pk))
    assert reach.texts_stopped_at == stopped_at
    # The choice stands (START brings texts back) but nothing they chose reaches them: e-mail goes instead.
    assert reach.channels == [Channel.EMAIL] and reach.email_instead and reach.sms_phone == ""
    assert reach.texts_problem is None  # the number itself can take texts


@pytest.mark.parametrize(("phone", "problem"), [("", TextsProblem.NO_NUMBER), (LANDLINE, TextsProblem.NOT_A_MOBILE)])
def test_texts_chosen_for_a_number_that_cannot_take_them(phone, problem):
    reach = patient_reach(patient=PatientFactory(notify_sms=True, phone=phone))
    assert reach.texts_problem == problem and reach.channels == [Channel.EMAIL]


def test_a_landline_is_no_problem_when_texts_were_not_chosen():
    assert patient_reach(patient=PatientFactory(phone=LANDLINE)).texts_problem is None


def test_notifications_count_the_patients_devices():
    patient = PatientFactory()
    _subscribe(patient, 2)
    _subscribe(PatientFactory(clinic=patient.clinic), 1)  # someone else's
    reach = patient_reach(patient=patient)
    assert reach.channels == [Channel.EMAIL, Channel.PUSH] and reach.devices == 2


def test_the_current_caregivers_oldest_first_and_whether_they_get_the_questions():
    patient = PatientFactory()
    first, first_link = make_caregiver(patient, full_name="Chris Carer")
    second, _ = make_caregiver(patient, full_name="Dee Helper", receives_prompts=False)
    _inactive, _ = make_caregiver(patient, full_name="Ed Gone", is_active=False)
    _removed, removed_link = make_caregiver(patient, full_name="Fay Former")
    services.caregivers.care_link_remove(link=removed_link, by=patient)
    make_caregiver(PatientFactory(clinic=patient.clinic), full_name="Gil Other")
    rows = patient_reach(patient=patient).caregivers
    assert [(row.name, row.receives_prompts) for row in rows] == [
        ("Chris Carer", True),
        ("Dee Helper", False),
        ("Ed Gone", False),  # an inactive account gets nothing, as prompt_recipients() decides
    ]
    assert (rows[0].email, rows[0].since) == (first.email, first_link.created_at)
    assert rows[1].email == second.email


def _queries(patient: User) -> int:
    with CaptureQueriesContext(connection) as ctx:
        patient_reach(patient=patient)
    return len(ctx.captured_queries)


def test_the_queries_do_not_grow_with_caregivers_or_devices():
    patient = PatientFactory(notify_sms=True, phone=MOBILE)
    make_caregiver(patient)
    _subscribe(patient, 1)
    small = _queries(patient)
    for _ in range(4):
        make_caregiver(patient)
    _subscribe(patient, 4)
    assert _queries(patient) == small <= 3
