"""What the patient is told for each tier, the notes prompt, staff-entered reports and the rule table page."""

from __future__ import annotations

from datetime import datetime, time

import pytest
from django.test import Client
from django.urls import reverse

from reactions.models import Flag, ReactionReport
from tests.factories import InfusionFactory, make_report

pytestmark = pytest.mark.django_db


def _post(client, infusion, **fields):
    return client.post(reverse("report_create", args=[infusion.pk]), {"notes": "", **fields}, follow=True)


def _tel_links(page: str) -> list[str]:
    return [part.split('"', 1)[0] for part in page.split('href="tel:')[1:]]


def test_an_emergency_gives_one_number_the_emergency_number_of_the_clinics_country(patient_client, patient):
    patient.clinic.country = "ES"
    patient.clinic.save()
    page = _post(
        patient_client,
        InfusionFactory(patient=patient),
        s_face_droop="on",
        s_face_droop_grade="mild",
        s_face_droop_onset="1_6h",
    ).content.decode()
    urgent = page[page.index('class="urgent"') : page.index("</section>")]
    assert "Call 112 now" in urgent and _tel_links(urgent) == ["112"]
    assert "or your clinic" not in page and "999, 112 or 911" not in page


def test_an_urgent_report_calls_the_clinic_while_open_and_its_out_of_hours_line_when_closed(
    patient_client, patient, settings
):
    clinic = patient.clinic
    clinic.phone, clinic.out_of_hours_phone = "+44 20 7946 0100", "+44 20 7946 0999"
    clinic.open_days, clinic.opens_at, clinic.closes_at = [0, 1, 2, 3, 4, 5, 6], time(0, 0), time(23, 59)
    clinic.save()
    report = make_report(infusion=InfusionFactory(patient=patient), symptoms=[("dark_urine", "mild")])
    page = patient_client.get(reverse("report_detail", args=[report.pk])).content.decode()
    urgent = page[page.index('class="urgent"') : page.index("</section>")]
    assert "Call your clinic now" in urgent and _tel_links(urgent) == ["+44 20 7946 0100"]
    clinic.open_days = []  # closed every day
    clinic.save()
    page = patient_client.get(reverse("report_detail", args=[report.pk])).content.decode()
    urgent = page[page.index('class="urgent"') : page.index("</section>")]
    assert "out-of-hours line" in urgent and _tel_links(urgent) == ["+44 20 7946 0999"]
    assert "call 999" in urgent  # if it gets worse: said, not a second button


def test_a_clinic_model_knows_its_line_at_a_given_moment(clinic):
    clinic.phone = "+44 20 7946 0100"
    clinic.save()
    wednesday_noon = datetime(2026, 12, 2, 12, tzinfo=clinic.tzinfo)
    sunday_noon = datetime(2026, 12, 6, 12, tzinfo=clinic.tzinfo)
    assert clinic.urgent_line(wednesday_noon).number == "+44 20 7946 0100"
    assert clinic.urgent_line(sunday_noon).number == clinic.out_of_hours_phone


def test_notes_naming_an_emergency_sign_tell_the_patient_to_call_an_ambulance_if_they_have_it(patient_client, patient):
    page = _post(patient_client, InfusionFactory(patient=patient), notes="Dolor en el pecho desde esta mañana").content
    page = page.decode()
    assert "You wrote about: Chest pain" in page and "Call 999 now" in page
    assert ReactionReport.objects.get().tier == "urgent"


def test_the_report_form_asks_if_medical_care_was_needed_and_keeps_the_answer(patient_client, patient):
    infusion = InfusionFactory(patient=patient)
    assert (
        "Did you need medical care for this?"
        in patient_client.get(reverse("report_create", args=[infusion.pk])).content.decode()
    )
    _post(patient_client, infusion, notes="Went to A&E, they sent me home", care="urgent_care")
    assert ReactionReport.objects.get().care == "urgent_care"


def test_the_red_flags_endpoint_names_the_signs_in_the_notes():
    client = Client(enforce_csrf_checks=True)
    page = client.get(reverse("login")).content.decode()  # any page sets the CSRF cookie
    token = page.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    url = reverse("report_red_flags")
    response = client.post(url, {"notes": "crushing chest pain, can't breathe", "csrfmiddlewaretoken": token})
    codes = [sign["code"] for sign in response.json()["signs"]]
    assert response.status_code == 200 and codes == ["breathing_trouble", "chest_pain"]
    assert client.post(url, {"notes": "no chest pain", "csrfmiddlewaretoken": token}).json() == {"signs": []}
    assert Client(enforce_csrf_checks=True).post(url, {"notes": "chest pain"}).status_code == 403
    assert client.get(url).status_code == 405


def test_staff_enter_a_phoned_in_report_and_land_on_its_flag(clinician_client, patient, clinician):
    infusion = InfusionFactory(patient=patient)
    url = reverse("clinic_report_create", args=[infusion.pk])
    page = clinician_client.get(url).content.decode()
    assert "How was it reported?" in page and "data-outbox " not in page
    response = clinician_client.post(
        url,
        {
            "source": "phone_call",
            "notes": "",
            "s_painful_swollen_limb": "on",
            "s_painful_swollen_limb_grade": "moderate",
            "s_painful_swollen_limb_onset": "during",
        },
    )
    report = ReactionReport.objects.get()
    flag = report.flags.get(kind=Flag.Kind.SEVERE_EVENT)
    assert response.status_code == 302 and response.url == reverse("flag_detail", args=[flag.pk])
    assert (report.source, report.entered_by, report.tier) == ("phone_call", clinician, "urgent")
    page = clinician_client.get(response.url).content.decode()
    assert "Phone call to the clinic" in page and "Urgent, today" in page and "U-limb" not in page


def test_staff_of_another_clinic_cannot_enter_a_report(login, foreign_clinician, patient):
    infusion = InfusionFactory(patient=patient)
    response = login(foreign_clinician).post(
        reverse("clinic_report_create", args=[infusion.pk]), {"source": "phone_call", "notes": "chest pain"}
    )
    assert response.status_code == 404 and not ReactionReport.objects.exists()


def test_clinic_staff_read_the_rule_table_with_its_version_and_sources(clinician_client):
    page = clinician_client.get(reverse("triage_rules")).content.decode()
    assert "2026-12" in page and "E-breathing" in page and "U-meningitis" in page and "R-review" in page
    assert "[3, 10]" in page  # each rule names its sources


def test_the_flag_page_says_why_the_report_got_its_tier(clinician_client, patient):
    flag = make_report(
        infusion=InfusionFactory(patient=patient), symptoms=[("headache", "severe"), ("light_hurts_eyes", "mild")]
    ).flags.get(kind=Flag.Kind.SEVERE_EVENT)
    page = clinician_client.get(reverse("flag_detail", args=[flag.pk])).content.decode()
    assert "Urgent, today" in page and "possible aseptic meningitis" in page


def test_a_warning_sign_ticked_without_grade_or_onset_is_sent_not_held_back(patient_client, patient):
    page = _post(patient_client, InfusionFactory(patient=patient), s_chest_pain="on").content.decode()
    report = ReactionReport.objects.get()
    assert report.tier == "emergency" and report.flags.get().kind == Flag.Kind.SEVERE_EVENT
    assert "Call 999 now" in page
    symptom = report.symptoms.get()
    assert (symptom.grade, symptom.onset, symptom.get_grade_display()) == ("", "", "not given")


def test_a_common_symptom_still_needs_its_grade_and_onset(patient_client, patient):
    response = _post(patient_client, InfusionFactory(patient=patient), s_headache="on")
    assert not ReactionReport.objects.exists()
    assert "Choose how bad" in response.content.decode() and "Choose when it started." in response.content.decode()


def test_the_database_allows_a_missing_grade_only_for_a_warning_sign():
    from django.db import IntegrityError, transaction

    report = make_report(symptoms=[("chest_pain", "mild")])
    with pytest.raises(IntegrityError), transaction.atomic():
        report.symptoms.create(code="headache", grade="", onset="during")
    with pytest.raises(IntegrityError), transaction.atomic():
        report.symptoms.create(code="fatigue", grade="mild", onset="")
    assert report.symptoms.create(code="vision_loss", grade="", onset="").pk


def test_the_urgent_page_in_spanish_gives_the_clinic_line(login, clinic):
    from tests.factories import PatientFactory

    patient = PatientFactory(clinic=clinic, language="es")
    report = make_report(infusion=InfusionFactory(patient=patient), symptoms=[("painful_swollen_limb", "mild")])
    page = login(patient).get(reverse("report_detail", args=[report.pk])).content.decode()
    urgent = page[page.index('class="urgent"') : page.index("</section>")]
    assert "Llame ya a su clínica" in urgent and _tel_links(urgent) == [clinic.out_of_hours_phone]
    assert "llame al 999" in urgent  # if it gets worse: said, not a second button
