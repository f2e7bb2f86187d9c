"""Assessing a reported event and recording the plan for the next infusion, through the pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reactions import services
from reactions.models import AuditEvent, EventAssessment, FollowUp, InfusionPlan, User
from tests.factories import InfusionFactory, PatientFactory, make_planned_infusion, make_report, make_severe_flag

pytestmark = pytest.mark.django_db

ASSESSMENT = {
    "pv-criteria": ["hospitalisation", "medically_important"],
    "pv-causality": "probable",
    "pv-action_taken": "rate_reduced",
    "pv-outcome": "recovering",
    "pv-note": "Admitted overnight for a DVT scan",
}


def test_the_flag_page_assesses_the_event_and_comes_back_to_it(clinician_client, clinician, patient):
    flag = make_severe_flag(infusion=InfusionFactory(patient=patient))
    url = reverse("flag_detail", args=[flag.pk])
    page = clinician_client.get(url).content.decode()
    assert "Pharmacovigilance assessment" in page and "Not assessed yet" in page
    assert f'action="{reverse("report_assessment", args=[flag.report_id])}"' in page
    assert 'name="pv-criteria"' in page and f'name="next" value="{url}"' in page

    response = clinician_client.post(reverse("report_assessment", args=[flag.report_id]), {**ASSESSMENT, "next": url})
    assert response.status_code == 302 and response.url == url
    assessment = EventAssessment.objects.get(report=flag.report)
    assert assessment.criteria == ["hospitalisation", "medically_important"] and assessment.is_serious
    assert (assessment.causality, assessment.action_taken, assessment.outcome) == (
        "probable",
        "rate_reduced",
        "recovering",
    )
    assert assessment.recorded_by == clinician and assessment.note == ASSESSMENT["pv-note"]
    assert AuditEvent.objects.filter(patient=patient, action="change", what__contains="assessed").exists()
    page = clinician_client.get(url).content.decode()
    assert "⚠ Serious</strong>: Requires or prolongs hospitalisation; Other medically important event" in page
    assert "Probable / likely" in page and "Rate reduced" in page and "Nora Nurse" in page


def test_a_revised_assessment_wins_and_the_earlier_one_is_kept(clinician_client, patient):
    report = make_report(infusion=InfusionFactory(patient=patient), symptoms=[("headache", "severe")])
    url = reverse("report_assessment", args=[report.pk])
    clinician_client.post(url, ASSESSMENT)
    response = clinician_client.get(url)
    # The form starts from the current assessment.
    assert response.context["assessment_form"].initial["causality"] == "probable"
    revised = {**ASSESSMENT, "pv-criteria": [], "pv-causality": "possible", "pv-outcome": "recovered"}
    response = clinician_client.post(url, revised)
    assert response.url == reverse("clinic_patient_detail", args=[patient.pk]) + f"#report-{report.pk}"
    current, earlier = EventAssessment.objects.filter(report=report)
    assert (current.is_current, current.is_serious, current.causality) == (True, False, "possible")
    assert earlier.superseded_at == current.recorded_at and earlier.causality == "probable"
    page = clinician_client.get(url).content.decode()
    assert "Earlier assessments" in page and "Non-serious" in page
    timeline = clinician_client.get(reverse("clinic_patient_detail", args=[patient.pk])).content.decode()
    assert "Assessment: Non-serious · Possible · Rate reduced · Recovered / resolved" in timeline


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"pv-outcome": "fatal"}, "outcome"),  # fatal, but "results in death" not ticked
        ({"pv-criteria": ["death"]}, "outcome"),  # death, but the outcome is not fatal
        ({"pv-causality": "sure"}, "causality"),
        ({"pv-criteria": ["boring"]}, "criteria"),
        ({"pv-note": "bad\x00note"}, "note"),
    ],
)
def test_a_contradictory_or_invalid_assessment_is_refused_at_the_field(clinician_client, patient, change, field):
    report = make_report(infusion=InfusionFactory(patient=patient), symptoms=[("headache", "severe")])
    response = clinician_client.post(reverse("report_assessment", args=[report.pk]), {**ASSESSMENT, **change})
    assert response.status_code == 400
    assert field in response.context["assessment_form"].errors
    assert not EventAssessment.objects.exists()


def test_a_fatal_event_that_results_in_death_is_accepted(clinician_client, patient):
    report = make_report(infusion=InfusionFactory(patient=patient), symptoms=[("chest_pain", "very_severe")])
    data = {**ASSESSMENT, "pv-criteria": ["death", "life_threatening"], "pv-outcome": "fatal"}
    assert clinician_client.post(reverse("report_assessment", args=[report.pk]), data).status_code == 302
    assert EventAssessment.objects.get().criteria == ["death", "life_threatening"]


def test_next_must_be_a_page_of_this_site(clinician_client, patient):
    report = make_report(infusion=InfusionFactory(patient=patient), symptoms=[("headache", "severe")])
    url = reverse("report_assessment", args=[report.pk])
    response = clinician_client.post(url, {**ASSESSMENT, "next": "https://evil.example/steal"})
    assert response.url == reverse("clinic_patient_detail", args=[patient.pk]) + f"#report-{report.pk}"


def test_another_clinic_can_neither_assess_nor_plan(login, foreign_clinician, patient):
    flag = make_severe_flag(infusion=InfusionFactory(patient=patient))
    planned = make_planned_infusion(patient)
    client = login(foreign_clinician)
    assert client.post(reverse("report_assessment", args=[flag.report_id]), ASSESSMENT).status_code == 404
    assert client.post(reverse("infusion_plan", args=[planned.pk]), {"plan-decision": "proceed"}).status_code == 404
    assert not EventAssessment.objects.exists() and not InfusionPlan.objects.exists()


def test_plan_needed_shows_in_the_queue_timeline_and_flag_page_until_a_plan_is_recorded(
    clinician_client, clinician, patient
):
    flag = make_severe_flag(infusion=InfusionFactory(patient=patient))
    planned = make_planned_infusion(patient)
    queue = clinician_client.get(reverse("clinic_flags")).content.decode()
    assert "Plan needed before the next infusion" in queue
    assert f'href="{reverse("infusion_plan", args=[planned.pk])}"' in queue
    timeline = clinician_client.get(reverse("clinic_patient_detail", args=[patient.pk])).content.decode()
    assert "⚠ Plan needed" in timeline and f'href="{reverse("infusion_plan", args=[planned.pk])}"' in timeline
    flag_url = reverse("flag_detail", args=[flag.pk])
    flag_page = clinician_client.get(flag_url).content.decode()
    assert "⚠ Plan needed" in flag_page and 'name="plan-decision"' in flag_page

    response = clinician_client.post(
        reverse("infusion_plan", args=[planned.pk]),
        {"plan-decision": "premedicate", "plan-note": "Cetirizine 10 mg", "next": flag_url},
    )
    assert response.status_code == 302 and response.url == flag_url
    plan = InfusionPlan.objects.get(infusion=planned)
    assert (plan.decision, plan.decided_by, plan.note) == ("premedicate", clinician, "Cetirizine 10 mg")
    assert AuditEvent.objects.filter(patient=patient, what__contains="plan premedicate").exists()
    assert "Plan needed before the next infusion" not in clinician_client.get(reverse("clinic_flags")).content.decode()
    timeline = clinician_client.get(reverse("clinic_patient_detail", args=[patient.pk])).content.decode()
    assert "⚠ Plan needed" not in timeline and "Plan: <strong>Premedicate</strong> — Nora Nurse" in timeline
    assert "Cetirizine 10 mg" in timeline


def test_stop_through_the_plan_page(clinician_client, patient):
    make_severe_flag(infusion=InfusionFactory(patient=patient))
    planned = make_planned_infusion(patient)
    url = reverse("infusion_plan", args=[planned.pk])
    assert "A severe event since the last infusion" in clinician_client.get(url).content.decode()
    response = clinician_client.post(url, {"plan-decision": "stop"}, follow=True)
    assert "this infusion is stopped" in response.content.decode()
    assert planned.followups.get(kind=FollowUp.Kind.PRE_INFUSION).status == FollowUp.Status.CANCELLED
    page = clinician_client.get(url).content.decode()
    assert "■ Stopped" in page and "(current)" in page


def test_a_plan_needs_a_decision_and_a_planned_infusion(clinician_client, patient):
    planned = make_planned_infusion(patient)
    response = clinician_client.post(reverse("infusion_plan", args=[planned.pk]), {"plan-decision": ""})
    assert response.status_code == 400 and "decision" in response.context["plan_form"].errors
    given = InfusionFactory(patient=patient)
    assert clinician_client.get(reverse("infusion_plan", args=[given.pk])).status_code == 404


def test_the_queue_pages_use_a_constant_number_of_queries_with_plans_needed(clinician_client, clinic, count_queries):
    def add(n):
        for _ in range(n):
            patient = PatientFactory(clinic=clinic)
            make_severe_flag(infusion=InfusionFactory(patient=patient))
            make_planned_infusion(patient)

    add(1)
    small = count_queries(clinician_client, reverse("clinic_flags"))
    add(5)
    assert count_queries(clinician_client, reverse("clinic_flags")) == small


def test_the_patient_sees_that_a_stopped_infusion_will_not_be_given(patient_client, clinician, patient):
    make_severe_flag(infusion=InfusionFactory(patient=patient, started_at=timezone.now() - timedelta(days=3)))
    message = "Your care team has decided not to give this infusion"
    later = make_planned_infusion(patient, in_hours=24 * 28)  # the "next planned infusion" card
    assert message not in patient_client.get(reverse("home")).content.decode()
    services.plans.infusion_plan_record(infusion=later, by=clinician, decision=InfusionPlan.Decision.STOP)
    assert message in patient_client.get(reverse("home")).content.decode()
    soon = make_planned_infusion(patient, in_hours=-1)  # its time has come: the home page asks whether it was given
    home = patient_client.get(reverse("home")).content.decode()
    assert "Log this infusion as given" in home and home.count(message) == 1  # the later one's card
    services.plans.infusion_plan_record(infusion=soon, by=clinician, decision=InfusionPlan.Decision.STOP)
    home = patient_client.get(reverse("home")).content.decode()
    assert "Log this infusion as given" not in home and home.count(message) == 2


def test_support_staff_see_assessments_and_plans_in_djangos_admin_read_only(clinician, patient):
    flag = make_severe_flag(infusion=InfusionFactory(patient=patient))
    services.pharmacovigilance.event_assessment_record(
        report=flag.report, by=clinician, criteria=[], causality="possible", action_taken="none", outcome="recovered"
    )
    planned = make_planned_infusion(patient)
    services.plans.infusion_plan_record(infusion=planned, by=clinician, decision="proceed", note="Seen today")
    support = User.objects.create_superuser(email="support@example.test", password="x", full_name="Support")
    client = Client()
    client.force_login(support)
    report_page = client.get(reverse("admin:reactions_reactionreport_change", args=[flag.report_id]))
    assert report_page.status_code == 200 and "Possible" in report_page.content.decode()
    infusion_page = client.get(reverse("admin:reactions_infusion_change", args=[planned.pk]))
    assert infusion_page.status_code == 200 and "Seen today" in infusion_page.content.decode()
