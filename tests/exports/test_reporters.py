"""Who reported, in the clinic's CSV exports: the patient, or a caregiver by name, never the one for the other."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from reactions import services
from reactions.exports.reporters import answerer_text, reporter_text, staff_entry_name
from reactions.models import FollowUp, ReportSource
from tests.factories import InfusionFactory, make_caregiver, make_report

pytestmark = pytest.mark.django_db


def _records(response) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content)
    header, *rows = list(csv.reader(io.StringIO(body.decode("utf-8"))))
    return [dict(zip(header, row, strict=True)) for row in rows]


def _report(infusion, *, source=ReportSource.PATIENT, entered_by=None, notes=""):
    entry = services.reports.SymptomEntry(code="headache", grade="severe", onset="during")
    return services.reports.report_create(
        infusion=infusion, symptoms=[entry], source=source, entered_by=entered_by, notes=notes
    )


@pytest.fixture
def reports(patient, clinician):
    """The same patient's reports, given by the patient, their caregiver in the app, the caregiver to the clinic,
    and the patient by phone, oldest first."""
    caregiver, _link = make_caregiver(patient, full_name="Robin Rivera", email="robin@example.test")
    infusion = InfusionFactory(patient=patient, started_at=timezone.now() - timedelta(days=3))
    made = {
        "patient": _report(infusion, notes="Pounding since noon"),
        "caregiver_app": _report(
            infusion, source=ReportSource.CAREGIVER_APP, entered_by=caregiver, notes="Hot all night"
        ),
        "caregiver_to_clinic": _report(
            infusion, source=ReportSource.CAREGIVER, entered_by=clinician, notes="Pale this morning"
        ),
        "phone_call": _report(infusion, source=ReportSource.PHONE_CALL, entered_by=clinician),
    }
    for n, report in enumerate(made.values()):
        report.flags.update(created_at=timezone.now() - timedelta(hours=10 - n))
    return {"infusion": infusion, "caregiver": caregiver, **made}


def test_reporter_text_says_patient_or_names_the_caregiver(reports):
    assert reporter_text(reports["patient"]) == "patient"
    assert reporter_text(reports["caregiver_app"]) == "caregiver: Robin Rivera"
    # A caregiver who told the clinic is still a caregiver; the report does not hold their name.
    assert reporter_text(reports["caregiver_to_clinic"]) == "caregiver"
    assert reporter_text(reports["phone_call"]) == "patient"
    assert staff_entry_name(reports["patient"]) == staff_entry_name(reports["caregiver_app"]) == ""
    assert staff_entry_name(reports["caregiver_to_clinic"]) == staff_entry_name(reports["phone_call"]) == "Nora Nurse"


def test_events_csv_says_who_reported_each_event(clinician_client, reports):
    records = _records(clinician_client.get(reverse("export_events_csv"), {"status": "all"}))
    from_reports = [r for r in records if r["source"] == "report"]
    assert [(r["reported_by"], r["entered_by"]) for r in from_reports] == [
        ("patient", ""),
        ("caregiver: Robin Rivera", ""),
        ("caregiver", "Nora Nurse"),
        ("patient", "Nora Nurse"),
    ]


def test_events_csv_leaves_who_reported_empty_for_flags_without_a_report(clinician_client, clinician, patient):
    infusion = InfusionFactory(patient=patient)
    services.infusions.vitals_record(
        infusion=infusion, by=clinician, phase="during", recorded_at=infusion.started_at, systolic=190, diastolic=100
    )
    (record,) = _records(clinician_client.get(reverse("export_events_csv"), {"status": "all"}))
    assert record["source"] == "vitals" and record["reported_by"] == "" and record["entered_by"] == ""


def test_infusions_csv_says_who_gave_each_report_in_order(clinician_client, reports):
    (record,) = _records(clinician_client.get(reverse("export_infusions_csv")))
    assert record["reports"] == "4"
    assert record["reported_by"] == "patient | caregiver: Robin Rivera | caregiver | patient"


@pytest.mark.parametrize("as_clinician", [False, True])
def test_printable_summary_says_who_reported_and_whose_notes_they_are(as_clinician, login, patient, clinician, reports):
    client = login(clinician if as_clinician else patient)
    url = reverse("patient_summary", args=[patient.pk]) if as_clinician else reverse("my_summary")
    html = client.get(url).content.decode()
    assert "Reported by Robin Rivera (caregiver)" in html
    assert "A caregiver, to the clinic" in html and "Phone call to the clinic" in html
    assert "Patient's notes: “Pounding since noon”" in html
    # A caregiver's words are never printed as the patient's.
    assert "Caregiver's notes: “Hot all night”" in html and "Caregiver's notes: “Pale this morning”" in html
    assert "Patient's notes: “Hot all night”" not in html and "Patient's notes: “Pale this morning”" not in html


def test_answerer_text_for_the_patient_a_caregiver_and_a_report(patient):
    caregiver, _link = make_caregiver(patient, full_name="Robin Rivera")
    infusion = services.infusions.infusion_create(
        patient=patient,
        logged_by=patient,
        status="given",
        started_at=timezone.now() - timedelta(days=2),
        ended_at=timezone.now() - timedelta(days=2) + timedelta(hours=3),
        product="privigen",
    )
    first, second, third, *_rest = FollowUp.objects.filter(infusion=infusion).order_by("due_at")
    FollowUp.objects.filter(pk__in=[first.pk, second.pk, third.pk]).update(status=FollowUp.Status.PROMPTED)
    for followup in (first, second, third):
        followup.refresh_from_db()
    assert answerer_text(first) == ""  # not answered yet
    services.followups.followup_answer(followup=first, answer=FollowUp.Answer.NO_SYMPTOMS)
    services.followups.followup_answer(followup=second, answer=FollowUp.Answer.NO_SYMPTOMS, answered_by=caregiver)
    report = make_report(infusion=infusion, symptoms=[("fatigue", "mild")])
    services.followups.followup_answer(followup=third, answer=FollowUp.Answer.REPORTED, report=report)
    answers = {f.pk: answerer_text(f) for f in FollowUp.objects.filter(pk__in=[first.pk, second.pk, third.pk])}
    assert answers == {first.pk: "patient", second.pk: "caregiver: Robin Rivera", third.pk: "patient"}
