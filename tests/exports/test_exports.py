"""CSV exports for the clinic, the patient's own data (JSON and CSV), and the printable summary."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reactions import selectors, services
from reactions.exports.clinic import EVENT_COLUMNS, INFUSION_COLUMNS
from reactions.exports.spreadsheet import csv_text, safe_cell
from reactions.exports.summary import months_before
from reactions.models import AuditEvent, Flag, FollowUp, Infusion, RateChange, Vitals
from tests.factories import ClinicFactory, ClinicianFactory, InfusionFactory, PatientFactory, make_report


def _rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(body.decode("utf-8"))))


def _records(response) -> list[dict[str, str]]:
    header, *rows = _rows(response)
    return [dict(zip(header, row, strict=True)) for row in rows]


def _at(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


# --- Formula injection (pure) ------------------------------------------------------------------


@pytest.mark.parametrize("text", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\t=x", "\r=x", '=HYPERLINK("http://x")'])
def test_cells_a_spreadsheet_would_run_get_a_leading_apostrophe(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Privigen", "Privigen"),
        ("P-100", "P-100"),
        (True, "yes"),
        (False, "no"),
        (None, ""),
        (Decimal("35.0"), "35"),
        (7, "7"),
        ("a=b", "a=b"),
    ],
)
def test_ordinary_cells_are_left_alone(value, expected):
    assert safe_cell(value) == expected


def test_csv_text_quotes_and_neutralises_every_cell():
    text = csv_text([["name", "note"], ['=cmd|" /C calc"!A0', "line one\nline two, with comma"]])
    assert list(csv.reader(io.StringIO(text))) == [
        ["name", "note"],
        ['\'=cmd|" /C calc"!A0', "line one\nline two, with comma"],
    ]


# --- Events CSV ---------------------------------------------------------------------------------


@pytest.fixture
def events(patient, other_patient, clinician, foreign_clinician):
    """A severe event (Privigen), a review flag (Octagam, closed), a vitals flag, and one in another clinic."""
    severe_infusion = InfusionFactory(patient=patient, lot_number="LOT-S1", started_at=_at("2025-03-10", 9))
    severe = make_report(infusion=severe_infusion, symptoms=[("breathing_trouble", "severe"), ("rash", "moderate")])
    review_infusion = InfusionFactory(
        patient=other_patient, product=Infusion.Product.OCTAGAM, lot_number="LOT-R1", started_at=_at("2025-04-20", 9)
    )
    review = make_report(infusion=review_infusion, symptoms=[("headache", "severe")])
    review_flag = review.flags.get()
    services.triage.flag_close(flag=review_flag, by=clinician, outcome=Flag.Outcome.RESOLVED, note="Better")
    vitals = services.infusions.vitals_record(
        infusion=severe_infusion,
        by=clinician,
        phase=Vitals.Phase.DURING,
        recorded_at=severe_infusion.started_at + timedelta(minutes=30),
        systolic=185,
        diastolic=95,
        pulse=88,
    )
    foreign_patient = PatientFactory(clinic=foreign_clinician.clinic, full_name="Far Away")
    make_report(
        infusion=InfusionFactory(patient=foreign_patient, lot_number="FOREIGN-LOT"), symptoms=[("chest_pain", "severe")]
    )
    severe_flag = severe.flags.get()
    Flag.objects.filter(pk=severe_flag.pk).update(created_at=_at("2025-03-10", 14))
    Flag.objects.filter(pk=review_flag.pk).update(created_at=_at("2025-04-21", 10))
    vitals_flag = vitals.flags.get()
    Flag.objects.filter(pk=vitals_flag.pk).update(created_at=_at("2025-03-10", 10))
    return {"severe": severe_flag, "review": review_flag, "vitals": vitals_flag}


def test_events_csv_lists_the_clinics_flags_with_symptoms_and_grades(clinician_client, events, patient):
    response = clinician_client.get(reverse("export_events_csv"), {"status": "all"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="ivigtrack-events-')
    assert "no-store" in response["Cache-Control"]
    header, *rows = _rows(response)
    assert header == EVENT_COLUMNS
    records = [dict(zip(header, row, strict=True)) for row in rows]
    assert [r["id"] for r in records] == [str(events["vitals"].pk), str(events["severe"].pk), str(events["review"].pk)]
    severe = records[1]
    assert severe["kind"] == "severe_event" and severe["status"] == "open" and severe["level"] == "severe"
    assert severe["patient"] == "Pat Example" and severe["patient_id"] == str(patient.pk)
    assert (severe["infusion_date"], severe["product"], severe["lot"]) == ("2025-03-10", "Privigen", "LOT-S1")
    assert severe["symptoms"] == "Bronchospasm / dyspnoea (severe); Rash / pruritus (moderate)"
    assert severe["created"].startswith("2025-03-10T14:00")
    closed = records[2]
    assert (closed["status"], closed["outcome"], closed["symptoms"]) == ("closed", "resolved", "Headache (severe)")
    assert records[0]["source"] == "vitals" and "BP 185/95" in records[0]["symptoms"]
    assert all(r["lot"] != "FOREIGN-LOT" and r["patient"] != "Far Away" for r in records)


def test_events_csv_carries_the_clinicians_assessment_of_each_report(clinician_client, clinician, events):
    services.pharmacovigilance.event_assessment_record(
        report=events["severe"].report,
        by=clinician,
        criteria=["life_threatening", "hospitalisation"],
        causality="probable",
        action_taken="premedication_added",
        outcome="recovered_with_sequelae",
    )
    records = _records(clinician_client.get(reverse("export_events_csv"), {"status": "all"}))
    by_id = {r["id"]: r for r in records}
    severe = by_id[str(events["severe"].pk)]
    assert (severe["serious"], severe["seriousness_criteria"]) == ("yes", "life_threatening; hospitalisation")
    assert (severe["causality"], severe["action_taken"], severe["event_outcome"]) == (
        "probable",
        "premedication_added",
        "recovered_with_sequelae",
    )
    assert severe["assessed_by"] == "Nora Nurse" and severe["assessed"]
    for unassessed in (by_id[str(events["review"].pk)], by_id[str(events["vitals"].pk)]):
        assert unassessed["serious"] == unassessed["causality"] == unassessed["assessed"] == ""


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["vitals", "severe"]),  # as the queue: what needs action
        ({"status": "all"}, ["vitals", "severe", "review"]),
        ({"kind": "severe_event"}, ["severe"]),
        ({"kind": "review", "status": "all"}, ["vitals", "review"]),
        ({"status": "closed"}, ["review"]),
        ({"status": "open"}, ["vitals", "severe"]),
        ({"status": "acknowledged"}, []),
        ({"status": "active"}, ["vitals", "severe"]),
        ({"product": "octagam", "status": "all"}, ["review"]),
        ({"product": "octagam"}, []),
        ({"product": "privigen", "kind": "review"}, ["vitals"]),
        ({"from": "2025-04-01", "status": "all"}, ["review"]),
        ({"to": "2025-03-31", "status": "all"}, ["vitals", "severe"]),
        ({"date_from": "2025-03-10", "date_to": "2025-03-10"}, ["vitals", "severe"]),
        (
            {"kind": "severe_event", "status": "open", "product": "privigen", "date_from": "2025-03-01", "page": "2"},
            ["severe"],
        ),
        ({"from": "2025-05-01", "status": "all"}, []),
    ],
)
def test_events_csv_filters(clinician_client, events, query, expected):
    records = _records(clinician_client.get(reverse("export_events_csv"), query))
    assert [r["id"] for r in records] == [str(events[name].pk) for name in expected]


@pytest.mark.parametrize(
    "query",
    [
        {"from": "not-a-date"},
        {"to": "2025-13-45"},
        {"kind": "catastrophic"},
        {"status": "lost"},
        {"product": "snake-oil"},
        {"from": "2025-05-01", "to": "2025-04-01"},
    ],
)
def test_bad_event_filters_are_a_400_with_the_reason_never_a_500(clinician_client, events, query):
    response = clinician_client.get(reverse("export_events_csv"), query)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert "not valid" in response.content.decode() and "nothing was exported" in response.content.decode()
    assert "Content-Disposition" not in response


@pytest.mark.django_db
def test_clinic_csv_times_are_in_the_clinicians_time_zone_although_the_file_streams_after_the_view(login):
    # The lines are produced while the response streams, after the middleware has reset the time zone.
    clinic = ClinicFactory(time_zone="America/New_York")
    client = login(ClinicianFactory(clinic=clinic))
    infusion = InfusionFactory(patient=PatientFactory(clinic=clinic), started_at=_at("2025-03-10", 2))
    flag = make_report(infusion=infusion, symptoms=[("headache", "severe")]).flags.get()
    Flag.objects.filter(pk=flag.pk).update(created_at=_at("2025-03-10", 14))
    (event,) = _records(client.get(reverse("export_events_csv")))
    assert event["created"] == "2025-03-10T10:00-04:00"
    assert event["infusion_date"] == "2025-03-09"  # 02:00 UTC is the evening before in New York
    (row,) = _records(client.get(reverse("export_infusions_csv")))
    assert row["started"] == "2025-03-09T22:00-04:00"
    # Date filters are New York days too.
    assert _records(client.get(reverse("export_infusions_csv"), {"from": "2025-03-10"})) == []
    assert len(_records(client.get(reverse("export_infusions_csv"), {"to": "2025-03-09"}))) == 1


def test_events_export_is_audited_for_each_patient_in_it(clinician_client, clinician, events, patient, other_patient):
    _rows(clinician_client.get(reverse("export_events_csv"), {"status": "all"}))
    audited = set(AuditEvent.objects.filter(actor=clinician, action="export").values_list("patient_id", flat=True))
    assert audited == {patient.pk, other_patient.pk}


# --- Infusions CSV -------------------------------------------------------------------------------


@pytest.fixture
def infusions(patient, other_patient, clinician, foreign_clinician):
    first = InfusionFactory(
        patient=patient,
        started_at=_at("2025-02-03", 9),
        lot_number="LOT-1",
        premedication="Cetirizine",
        pre_hydrated=True,
    )
    services.infusions.rate_change_record(
        infusion=first, by=clinician, changed_at=first.started_at, rate=Decimal("0.5"), unit=RateChange.Unit.ML_KG_H
    )
    services.infusions.rate_change_record(
        infusion=first,
        by=clinician,
        changed_at=first.started_at + timedelta(minutes=30),
        rate=Decimal("3.00"),
        unit=RateChange.Unit.ML_KG_H,
    )
    make_report(infusion=first, symptoms=[("headache", "moderate")])
    make_report(infusion=first, symptoms=[("dark_urine", "mild")])
    second = InfusionFactory(
        patient=other_patient, product=Infusion.Product.GAMUNEX_C, started_at=_at("2025-05-05", 9), lot_number="LOT-2"
    )
    InfusionFactory(patient=PatientFactory(clinic=foreign_clinician.clinic), lot_number="FOREIGN-LOT")
    return {"first": first, "second": second}


def test_infusions_csv_content(clinician_client, infusions, patient):
    response = clinician_client.get(reverse("export_infusions_csv"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="ivigtrack-infusions-')
    rows = _rows(response)
    assert rows[0] == INFUSION_COLUMNS
    records = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert [r["id"] for r in records] == [str(infusions["first"].pk), str(infusions["second"].pk)]
    first = records[0]
    assert (first["patient"], first["product"], first["lot"], first["dose_g"]) == (
        "Pat Example",
        "Privigen",
        "LOT-1",
        "35",
    )
    assert (first["premedication"], first["pre_hydrated"], first["highest_rate"]) == ("Cetirizine", "yes", "3 mL/kg/h")
    assert (first["reports"], first["highest_level"]) == ("2", "severe")
    assert first["symptoms"] == "Headache (moderate) | Haemoglobinuria (mild)"
    assert records[1]["product"] == "Gamunex-C" and records[1]["reports"] == "0" and records[1]["highest_level"] == ""


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"product": "gamunex_c"}, ["second"]),
        ({"from": "2025-03-01"}, ["second"]),
        ({"to": "2025-02-03"}, ["first"]),
        ({"product": "privigen", "from": "2025-03-01"}, []),
    ],
)
def test_infusions_csv_filters(clinician_client, infusions, query, expected):
    records = _records(clinician_client.get(reverse("export_infusions_csv"), query))
    assert [r["id"] for r in records] == [str(infusions[name].pk) for name in expected]


def test_bad_infusion_filters_are_a_400(clinician_client, infusions):
    assert clinician_client.get(reverse("export_infusions_csv"), {"from": "yesterday"}).status_code == 400
    assert clinician_client.get(reverse("export_infusions_csv"), {"product": "<script>"}).status_code == 400


def test_formula_injection_is_neutralised_in_the_clinic_exports(clinician_client, clinic):
    attacker = PatientFactory(clinic=clinic, full_name='=HYPERLINK("http://evil.test","click")')
    infusion = InfusionFactory(patient=attacker, lot_number="+SUM(1,2)", premedication="@cmd")
    make_report(infusion=infusion, symptoms=[("headache", "severe")])
    infusion_record = _records(clinician_client.get(reverse("export_infusions_csv")))[0]
    assert infusion_record["patient"] == '\'=HYPERLINK("http://evil.test","click")'
    assert infusion_record["lot"] == "'+SUM(1,2)" and infusion_record["premedication"] == "'@cmd"
    event_record = _records(clinician_client.get(reverse("export_events_csv")))[0]
    assert event_record["patient"].startswith("'=") and event_record["lot"] == "'+SUM(1,2)"


# --- Clinic export permissions and query counts -----------------------------------------------------


@pytest.mark.parametrize("name", ["export_events_csv", "export_infusions_csv"])
def test_clinic_exports_are_for_clinic_staff_only(name, login, patient, clinic_admin, client):
    url = reverse(name)
    assert login(patient).get(url).status_code == 404
    assert login(clinic_admin).get(url).status_code == 200
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def _clinic_with_flags(count: int):
    clinic = ClinicFactory()
    clinician = ClinicianFactory(clinic=clinic)
    patients = [PatientFactory(clinic=clinic) for _ in range(3)]
    for n in range(count):
        infusion = InfusionFactory(patient=patients[n % 3], started_at=timezone.now() - timedelta(days=n + 1))
        services.infusions.rate_change_record(
            infusion=infusion,
            by=clinician,
            changed_at=infusion.started_at,
            rate=Decimal(1),
            unit=RateChange.Unit.ML_KG_H,
        )
        make_report(infusion=infusion, symptoms=[("headache", "severe"), ("rash", "mild")])
    return clinician


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["export_events_csv", "export_infusions_csv"])
def test_clinic_exports_use_a_constant_number_of_queries(name, login):
    counts, lengths = [], []
    for size in (3, 30):
        client = login(_clinic_with_flags(size))
        with CaptureQueriesContext(connection) as queries:
            rows = _rows(client.get(reverse(name)))
        counts.append(len(queries))
        lengths.append(len(rows) - 1)
    assert lengths == [3, 30]
    assert counts[0] == counts[1]


# --- The patient's own data -----------------------------------------------------------------------


@pytest.fixture
def own_data(patient, other_patient, clinician):
    infusion = services.infusions.infusion_create(
        patient=patient,
        logged_by=patient,
        status=Infusion.Status.GIVEN,
        started_at=timezone.now() - timedelta(days=2),
        ended_at=timezone.now() - timedelta(days=2) + timedelta(hours=3),
        product=Infusion.Product.PANZYGA,
        lot_number="MY-LOT",
        dose_grams=Decimal(30),
        premedication="Paracetamol",
        notes="=1+1 felt fine",
    )
    services.infusions.vitals_record(
        infusion=infusion,
        by=clinician,
        phase=Vitals.Phase.START,
        recorded_at=infusion.started_at,
        systolic=120,
        diastolic=80,
        pulse=70,
        temperature=Decimal("36.8"),
    )
    services.infusions.rate_change_record(
        infusion=infusion,
        by=clinician,
        changed_at=infusion.started_at,
        rate=Decimal("1.5"),
        unit=RateChange.Unit.ML_KG_H,
    )
    report = make_report(infusion=infusion, symptoms=[("headache", "moderate")], notes="Mild headache", onset="6_24h")
    theirs = InfusionFactory(patient=other_patient, lot_number="NOT-MINE", premedication="Their secret")
    make_report(infusion=theirs, symptoms=[("rash", "mild")], notes="Their notes")
    return {"infusion": infusion, "report": report}


def test_patient_json_export_holds_all_their_data(patient_client, patient, own_data):
    response = patient_client.get(reverse("my_data_json"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith('attachment; filename="my-ivigtrack-data-')
    data = json.loads(response.content)
    assert data["profile"]["email"] == "pat@example.test" and data["profile"]["clinic"] == "Riverside Neurology"
    (infusion,) = data["infusions"]
    assert (infusion["lot_number"], infusion["dose_grams"], infusion["product_name"]) == ("MY-LOT", "30", "Panzyga")
    assert infusion["vitals"][0]["systolic"] == 120 and infusion["vitals"][0]["temperature"] == "36.8"
    assert infusion["rate_changes"][0]["rate"] == "1.5" and infusion["rate_changes"][0]["unit"] == "mL/kg/h"
    (report,) = infusion["reports"]
    assert report["notes"] == "Mild headache"
    assert report["symptoms"] == [
        {
            "code": "headache",
            "label": "Headache",
            "clinical_name": "Headache",
            "warning_sign": False,
            "grade": "moderate",
            "onset": "6_24h",
            "ongoing": False,
        }
    ]
    expected_prompts = FollowUp.objects.filter(infusion=own_data["infusion"]).count()
    assert expected_prompts > 0 and len(infusion["followups"]) == expected_prompts
    # Reporting answered the open prompt: the answer is in the export.
    answered = [f for f in infusion["followups"] if f["answer"]]
    assert all(f["report_id"] == own_data["report"].pk for f in answered)


def test_patient_exports_contain_nothing_of_anyone_else(patient_client, own_data):
    for name in ("my_data_json", "my_data_csv"):
        text = patient_client.get(reverse(name)).content.decode()
        assert "MY-LOT" in text
        assert "NOT-MINE" not in text and "Their secret" not in text and "Their notes" not in text


def test_patient_csv_export_has_a_section_per_kind_of_data_and_is_injection_safe(patient_client, own_data):
    response = patient_client.get(reverse("my_data_csv"))
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    rows = _rows(response)
    sections = [row[0] for row, before in zip(rows[1:], rows, strict=False) if row and not before and len(row) == 1]
    assert sections == [
        "Profile",
        "Infusions",
        "Vitals",
        "Rate changes",
        "Reported symptoms",
        "Follow-up prompts",
        "Caregivers",
        "Caregiver invitations not yet accepted",
        "Notification devices",
    ]
    infusion_row = rows[rows.index(["Infusions"]) + 2]
    assert infusion_row[5] == "MY-LOT" and infusion_row[-1] == "'=1+1 felt fine"
    symptom_row = rows[rows.index(["Reported symptoms"]) + 2]
    assert symptom_row[4:8] == ["Headache", "Headache", "moderate", "6_24h"]
    assert symptom_row[-1] == "patient"  # who reported: new columns come last


@pytest.mark.parametrize("name", ["my_data_json", "my_data_csv", "my_summary"])
def test_patient_downloads_are_for_the_signed_in_patient_only(name, login, clinician, client):
    assert login(clinician).get(reverse(name)).status_code == 404
    response = client.get(reverse(name))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_patient_exports_use_a_constant_number_of_queries(login, clinic):
    counts = []
    for size in (3, 30):
        patient = PatientFactory(clinic=clinic)
        clinician = ClinicianFactory(clinic=clinic)
        for n in range(size):
            infusion = InfusionFactory(patient=patient, started_at=timezone.now() - timedelta(days=7 * (n + 1)))
            services.infusions.rate_change_record(
                infusion=infusion,
                by=clinician,
                changed_at=infusion.started_at,
                rate=Decimal(2),
                unit=RateChange.Unit.ML_H,
            )
            services.infusions.vitals_record(
                infusion=infusion, by=clinician, phase=Vitals.Phase.START, recorded_at=infusion.started_at, pulse=72
            )
            make_report(infusion=infusion, symptoms=[("fatigue", "mild")])
        client = login(patient)
        with CaptureQueriesContext(connection) as queries:
            assert len(json.loads(client.get(reverse("my_data_json")).content)["infusions"]) == size
            client.get(reverse("my_data_csv"))
        counts.append(len(queries))
    assert counts[0] == counts[1]


# --- The doctor-ready summary ------------------------------------------------------------------------


@pytest.fixture
def summary_data(patient, clinician):
    recent = InfusionFactory(
        patient=patient,
        started_at=timezone.now() - timedelta(days=20),
        lot_number="RECENT-LOT",
        premedication="Cetirizine",
    )
    services.infusions.vitals_record(
        infusion=recent,
        by=clinician,
        phase=Vitals.Phase.DURING,
        recorded_at=recent.started_at + timedelta(minutes=40),
        systolic=182,
        diastolic=96,
        pulse=90,
    )
    services.infusions.rate_change_record(
        infusion=recent, by=clinician, changed_at=recent.started_at, rate=Decimal("0.5"), unit=RateChange.Unit.ML_KG_H
    )
    make_report(infusion=recent, symptoms=[("headache_stiff_neck", "severe"), ("fever", "mild")], onset="1_3d")
    old = InfusionFactory(patient=patient, started_at=timezone.now() - timedelta(days=400), lot_number="OLD-LOT")
    return {"recent": recent, "old": old}


def test_summary_shows_infusions_reactions_vitals_rates_and_chart(patient_client, summary_data):
    response = patient_client.get(reverse("my_summary"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'rel="stylesheet"' in html and 'css/print.css" media="print"' in html
    # Printing is the browser's own: no script of the page's (only the app shell's, from files).
    assert "Print or save as PDF" in html and "<script>" not in html and "print()" not in html
    assert "RECENT-LOT" in html and "Cetirizine" in html
    assert "Headache with nuchal rigidity" in html and "severe, 1–3 days after" in html
    assert "Pyrexia" in html and "mild, 1–3 days after" in html
    assert "182/96 mmHg" in html and "outside safe range" in html
    assert "0.50 mL/kg/h" in html
    assert 'role="img"' in html and "Symptom burden per infusion" in html
    # The default period is the last six months: the infusion of 400 days ago is left out.
    assert "OLD-LOT" not in html
    today = timezone.localdate()
    assert response.context["date_to"] == today and response.context["date_from"] == months_before(today, 6)


def test_summary_and_data_export_show_the_clinicians_assessment(patient_client, patient, clinician, summary_data):
    report = summary_data["recent"].reports.get()
    html = patient_client.get(reverse("my_summary")).content.decode()
    assert "Clinician's assessment" not in html and "assessed as serious" not in html
    services.pharmacovigilance.event_assessment_record(
        report=report,
        by=clinician,
        criteria=["hospitalisation"],
        causality="probable",
        action_taken="rate_reduced",
        outcome="recovered",
    )
    html = patient_client.get(reverse("my_summary")).content.decode()
    assert "1 assessed as serious (ICH E2A)" in html
    assert "<strong>serious</strong> (Requires or prolongs hospitalisation)" in html
    assert "causality (WHO-UMC): Probable / likely; action taken: Rate reduced; outcome: Recovered / resolved" in html
    assert "Nora Nurse" in html
    data = json.loads(patient_client.get(reverse("my_data_json")).content)
    (exported,) = [r for i in data["infusions"] for r in i["reports"]]
    assessment = exported["clinician_assessment"]
    assert (assessment["serious"], assessment["seriousness_criteria"], assessment["causality"]) == (
        True,
        ["hospitalisation"],
        "probable",
    )
    assert assessment["recorded_by"] == "Nora Nurse"


def test_summary_date_range(patient_client, summary_data):
    start = timezone.localdate() - timedelta(days=401)
    end = timezone.localdate() - timedelta(days=399)
    html = patient_client.get(
        reverse("my_summary"), {"from": start.isoformat(), "to": end.isoformat()}
    ).content.decode()
    assert "OLD-LOT" in html and "RECENT-LOT" not in html
    assert [
        row.infusion_id
        for row in patient_client.get(
            reverse("my_summary"), {"date_from": start.isoformat(), "date_to": end.isoformat()}
        )
        .context["chart"]
        .rows
    ] == [summary_data["old"].pk]


@pytest.mark.parametrize("query", [{"from": "soon"}, {"from": "2025-06-01", "to": "2025-01-01"}, {"to": "2025-02-30"}])
def test_bad_summary_dates_show_the_form_with_an_error(patient_client, summary_data, query):
    response = patient_client.get(reverse("my_summary"), query)
    assert response.status_code == 400
    html = response.content.decode()
    assert "invalid-feedback" in html or "is-invalid" in html
    assert "RECENT-LOT" not in html


def test_clinician_summary_of_their_patient_only(login, clinician, patient, foreign_clinician, summary_data, client):
    url = reverse("patient_summary", args=[patient.pk])
    response = login(clinician).get(url)
    assert response.status_code == 200 and "RECENT-LOT" in response.content.decode()
    assert AuditEvent.objects.filter(actor=clinician, patient=patient, action="view").exists()
    assert login(foreign_clinician).get(url).status_code == 404
    assert login(patient).get(url).status_code == 404
    assert client.get(url).status_code == 302


def test_summary_months_before_clamps_to_the_end_of_the_month():
    assert months_before(date(2025, 8, 31), 6) == date(2025, 2, 28)
    assert months_before(date(2024, 8, 31), 6) == date(2024, 2, 29)
    assert months_before(date(2025, 3, 15), 6) == date(2024, 9, 15)
    assert months_before(date(2025, 12, 1), 12) == date(2024, 12, 1)


@pytest.mark.django_db
def test_summary_uses_a_constant_number_of_queries(login, clinic):
    counts = []
    for size in (3, 30):
        patient = PatientFactory(clinic=clinic)
        clinician = ClinicianFactory(clinic=clinic)
        for n in range(size):
            infusion = InfusionFactory(patient=patient, started_at=timezone.now() - timedelta(days=5 * (n + 1)))
            services.infusions.rate_change_record(
                infusion=infusion,
                by=clinician,
                changed_at=infusion.started_at,
                rate=Decimal(1),
                unit=RateChange.Unit.ML_KG_H,
            )
            services.infusions.vitals_record(
                infusion=infusion,
                by=clinician,
                phase=Vitals.Phase.END,
                recorded_at=infusion.started_at + timedelta(hours=1),
                temperature=Decimal("37.0"),
            )
            make_report(infusion=infusion, symptoms=[("chills", "moderate")])
        pages = [
            (login(patient), reverse("my_summary")),
            (login(clinician), reverse("patient_summary", args=[patient.pk])),
        ]
        for client, url in pages:
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            assert response.status_code == 200 and len(response.context["infusions"]) == size
            counts.append(len(queries))
    assert counts[0] == counts[2] and counts[1] == counts[3]


def test_download_these_events_gives_what_the_filtered_queue_shows(clinician_client, clinician, events):
    for query in ({}, {"kind": "review"}, {"status": "closed"}, {"status": "all", "product": "octagam"}):
        queue = selectors.triage_queue.clinic_queue(
            clinic=clinician.clinic,
            status=query.get("status") or "active",
            kind=query.get("kind", ""),
            product=query.get("product", ""),
        )
        exported = _records(clinician_client.get(reverse("export_events_csv"), query))
        assert sorted(int(r["id"]) for r in exported) == sorted(f.pk for f in queue)
