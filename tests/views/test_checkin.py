"""The day-before check-in in the app: the patient's home card, and what clinicians see of the answer."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reactions import engine, services
from reactions.models import FollowUp, InfusionPlan
from tests.conftest import _client_for
from tests.factories import (
    ClinicianFactory,
    InfusionFactory,
    PatientFactory,
    clinic_for_engine_tests,
    make_caregiver,
    make_planned_infusion,
    make_severe_flag,
)

pytestmark = pytest.mark.django_db

CHECK = "Check before infusing"


@pytest.fixture
def patient():
    return PatientFactory(clinic=clinic_for_engine_tests(), full_name="Robin Checkin")


@pytest.fixture
def clinician(patient):
    return ClinicianFactory(clinic=patient.clinic)


def _checkin(infusion) -> FollowUp:
    return infusion.followups.get(kind=FollowUp.Kind.PRE_INFUSION)


def _clinician_pages(clinician, infusion) -> dict[str, str]:
    client = _client_for(clinician)
    urls = {
        "patient": reverse("clinic_patient_detail", args=[infusion.patient_id]),
        "infusion": reverse("clinic_infusion_detail", args=[infusion.pk]),
        "queue": reverse("clinic_flags"),
        "patients": reverse("clinic_patients"),
    }
    return {name: client.get(url).content.decode() for name, url in urls.items()}


def test_the_home_page_asks_when_due_and_all_well_is_one_tap(patient):
    infusion = make_planned_infusion(patient)
    client = _client_for(patient)
    home = client.get(reverse("home")).content.decode()
    assert "Any new symptoms, infection or fever since last time?" in home
    response = client.post(reverse("checkin", args=[_checkin(infusion).pk]), {"answer": "all_well"})
    assert "noted: all well" in response.content.decode()
    assert _checkin(infusion).answer == FollowUp.Answer.ALL_WELL
    assert "Any new symptoms, infection or fever" not in client.get(reverse("home")).content.decode()


def test_the_home_page_does_not_ask_before_its_time(patient):
    make_planned_infusion(patient, in_hours=24 * 5)
    home = _client_for(patient).get(reverse("home")).content.decode()
    assert "Any new symptoms, infection or fever" not in home


def test_the_home_page_does_not_ask_while_a_plan_is_needed(patient):
    make_severe_flag(infusion=InfusionFactory(patient=patient))
    make_planned_infusion(patient)
    home = _client_for(patient).get(reverse("home")).content.decode()
    assert "Any new symptoms, infection or fever" not in home


def test_another_patient_cannot_open_a_check_in(patient):
    infusion = make_planned_infusion(patient)
    other = _client_for(PatientFactory(clinic=patient.clinic))
    url = reverse("checkin", args=[_checkin(infusion).pk])
    assert other.get(url).status_code == 404
    assert other.post(url, {"answer": "all_well"}).status_code == 404
    assert _checkin(infusion).answer == ""


def test_something_changed_shows_check_before_infusing_with_what_the_patient_said(patient, clinician):
    infusion = make_planned_infusion(patient)
    services.checkins.checkin_answer(
        followup=_checkin(infusion), answer="changed", changes=["infection"], note="Sore throat since Monday"
    )
    pages = _clinician_pages(clinician, infusion)
    for name in ("patient", "infusion", "queue", "patients"):
        assert CHECK in pages[name], name
    for name in ("patient", "infusion", "queue"):
        assert "An infection" in pages[name] and "Sore throat since Monday" in pages[name], name


def test_no_answer_is_not_all_well_clinicians_see_it_as_not_answered(patient, clinician):
    infusion = make_planned_infusion(patient)
    engine.dispatcher.dispatch_due()  # sent, not answered
    pages = _clinician_pages(clinician, infusion)
    for name in ("patient", "infusion", "queue", "patients"):
        assert CHECK in pages[name], name
    for name in ("patient", "infusion", "queue"):
        assert "not answered" in pages[name], name


def test_all_well_shows_no_check(patient, clinician):
    infusion = make_planned_infusion(patient)
    services.checkins.checkin_answer(followup=_checkin(infusion), answer="all_well")
    pages = _clinician_pages(clinician, infusion)
    for name in ("patient", "infusion", "queue", "patients"):
        assert CHECK not in pages[name], name
    assert "Check-in: all well" in pages["patient"]


def test_before_its_time_the_check_in_shows_nothing(patient, clinician):
    infusion = make_planned_infusion(patient, in_hours=24 * 5)
    pages = _clinician_pages(clinician, infusion)
    for name in ("patient", "infusion", "queue", "patients"):
        assert CHECK not in pages[name], name


def test_a_stopped_infusion_is_not_asked_about(patient, clinician):
    make_severe_flag(infusion=InfusionFactory(patient=patient))
    infusion = make_planned_infusion(patient)
    services.plans.infusion_plan_record(infusion=infusion, by=clinician, decision=InfusionPlan.Decision.STOP)
    home = _client_for(patient).get(reverse("home")).content.decode()
    assert "Any new symptoms, infection or fever" not in home


def test_the_clinician_deciding_a_plan_sees_the_check_in(patient, clinician):
    flag = make_severe_flag(infusion=InfusionFactory(patient=patient))
    infusion = make_planned_infusion(patient)
    client = _client_for(clinician)
    for url in (reverse("infusion_plan", args=[infusion.pk]), reverse("flag_detail", args=[flag.pk])):
        page = client.get(url).content.decode()
        assert CHECK in page and "not answered" in page, url


def test_a_caregiver_answers_the_check_in_in_the_app_and_it_says_who_answered(patient):
    caregiver, _link = make_caregiver(patient)
    infusion = make_planned_infusion(patient)
    response = _client_for(caregiver).post(reverse("checkin", args=[_checkin(infusion).pk]), {"answer": "all_well"})
    assert "noted: all well" in response.content.decode()
    assert (_checkin(infusion).answer, _checkin(infusion).answered_by) == ("all_well", caregiver)


def test_the_patients_own_answer_names_no_caregiver(patient):
    infusion = make_planned_infusion(patient)
    _client_for(patient).post(reverse("checkin", args=[_checkin(infusion).pk]), {"answer": "all_well"})
    assert (_checkin(infusion).answer, _checkin(infusion).answered_by) == ("all_well", None)
