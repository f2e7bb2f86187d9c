"""FHIR R4 export: the bundle validates with fhir.resources (R4 4.0.1) and says the right things."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from decimal import Decimal

import fhir.resources
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from fhir.resources.adverseevent import AdverseEvent
from fhir.resources.bundle import Bundle
from fhir.resources.medicationadministration import MedicationAdministration
from fhir.resources.relatedperson import RelatedPerson

from reactions import services
from reactions.exports.fhir import SERIOUSNESS_SYSTEM, patient_bundle, symptom_system
from reactions.models import AuditEvent, Infusion, RateChange, ReportSource
from tests.factories import InfusionFactory, PatientFactory, make_caregiver, make_report

pytestmark = pytest.mark.django_db

BASE = "https://ivig.example.test"
UUID_URN = re.compile(r"^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def _by_type(bundle: dict, resource_type: str) -> list[dict]:
    return [e for e in bundle["entry"] if e["resource"]["resourceType"] == resource_type]


@pytest.fixture
def history(patient, clinician):
    """Two infusions: one with a severe event, one with a mild report and rate steps."""
    first = InfusionFactory(
        patient=patient,
        started_at=timezone.now() - timedelta(days=35),
        lot_number="LOT-A1",
        dose_grams=Decimal("40.0"),
        premedication="Paracetamol",
    )
    second = InfusionFactory(patient=patient, lot_number="LOT-B2")
    for minutes, rate in ((0, "0.5"), (30, "2.5")):
        services.infusions.rate_change_record(
            infusion=second,
            by=clinician,
            changed_at=second.started_at + timedelta(minutes=minutes),
            rate=Decimal(rate),
            unit=RateChange.Unit.ML_KG_H,
        )
    severe = make_report(infusion=first, symptoms=[("breathing_trouble", "severe"), ("widespread_hives", "moderate")])
    mild = make_report(infusion=second, symptoms=[("headache", "moderate"), ("fever", "mild")])
    return {"first": first, "second": second, "severe": severe, "mild": mild}


def test_the_library_validates_r4():
    # The test dependency really is FHIR R4, not R4B or R5.
    assert fhir.resources.__fhir_version__ == "4.0.1"


def test_bundle_validates_as_fhir_r4(patient, history):
    data = patient_bundle(patient=patient, base_url=BASE)
    bundle = Bundle.parse_obj(data)
    assert bundle.type == "collection"
    types = [entry.resource.resource_type for entry in bundle.entry]
    assert types == ["Patient", "MedicationAdministration", "MedicationAdministration", "AdverseEvent", "AdverseEvent"]
    assert isinstance(bundle.entry[-1].resource, AdverseEvent)
    assert isinstance(bundle.entry[1].resource, MedicationAdministration)
    # What the view sends (JSON text) validates too.
    assert Bundle.parse_raw(json.dumps(data)).entry[0].resource.name[0].text == "Pat Example"


def test_full_urls_are_unique_deterministic_uuid_urns(patient, history):
    first = patient_bundle(patient=patient, base_url=BASE)
    again = patient_bundle(patient=patient, base_url=BASE)
    urls = [e["fullUrl"] for e in first["entry"]]
    assert all(UUID_URN.match(url) for url in urls)
    assert len(set(urls)) == len(urls)
    assert urls == [e["fullUrl"] for e in again["entry"]]
    assert all(e["resource"]["id"] == e["fullUrl"].removeprefix("urn:uuid:") for e in first["entry"])
    # Another site gives other identifiers: uuid5 of the site's URL.
    assert urls[0] != patient_bundle(patient=patient, base_url="https://other.example.test")["entry"][0]["fullUrl"]


def test_adverse_event_references_the_patient_and_the_administration_that_resolve_in_the_bundle(patient, history):
    data = patient_bundle(patient=patient, base_url=BASE)
    (patient_entry,) = _by_type(data, "Patient")
    administrations = {e["fullUrl"]: e["resource"] for e in _by_type(data, "MedicationAdministration")}
    events = _by_type(data, "AdverseEvent")
    assert len(events) == 2
    for entry, infusion in zip(events, [history["first"], history["second"]], strict=True):
        event = entry["resource"]
        assert event["actuality"] == "actual"
        assert event["subject"] == {"reference": patient_entry["fullUrl"]}
        (suspect,) = event["suspectEntity"]
        administration = administrations[suspect["instance"]["reference"]]
        assert administration["subject"] == {"reference": patient_entry["fullUrl"]}
        assert administration["note"][0]["text"] == f"Lot number: {infusion.lot_number}"


def test_symptom_codes_severity_and_dates(patient, history):
    data = patient_bundle(patient=patient, base_url=BASE)
    severe, mild = (e["resource"] for e in _by_type(data, "AdverseEvent"))
    assert severe["event"]["coding"] == [
        {
            "system": f"{BASE}/fhir/CodeSystem/ivigtrack-symptoms",
            "code": "breathing_trouble",
            "display": "Bronchospasm / dyspnoea",
        },
        {
            "system": f"{BASE}/fhir/CodeSystem/ivigtrack-symptoms",
            "code": "widespread_hives",
            "display": "Generalised urticaria",
        },
    ]
    assert {c["code"] for c in mild["event"]["coding"]} == {"headache", "fever"}
    assert all(c["system"] == symptom_system(BASE) for c in mild["event"]["coding"])
    assert "Headache (moderate" in mild["event"]["text"]
    created = history["severe"].created_at
    for field in ("date", "detected", "recordedDate"):
        assert datetime.fromisoformat(severe[field]) == created.replace(microsecond=0)
    assert severe["severity"]["coding"][0]["code"] == "severe"
    assert mild["severity"]["coding"][0]["code"] == "moderate"


def test_without_an_assessment_a_ticked_warning_sign_does_not_make_the_event_serious(patient, clinician, history):
    # Seriousness is a clinician's judgement (ICH E2A), not the patient's answers nor the app's triage.
    services.reports.report_reclassify(report=history["mild"], by=clinician, to_level="severe", reason="On call")
    data = patient_bundle(patient=patient, base_url=BASE)
    Bundle.parse_obj(data)
    for event in (e["resource"] for e in _by_type(data, "AdverseEvent")):
        assert "seriousness" not in event and "outcome" not in event
        assert "causality" not in event["suspectEntity"][0] and "extension" not in event


def _assess(report, clinician, **fields):
    defaults = {"criteria": [], "causality": "possible", "action_taken": "none", "outcome": "recovered"}
    return services.pharmacovigilance.event_assessment_record(report=report, by=clinician, **{**defaults, **fields})


def test_the_assessment_gives_seriousness_outcome_causality_and_action(patient, clinician, history):
    _assess(
        history["severe"],
        clinician,
        criteria=["medically_important", "hospitalisation"],
        causality="probable",
        action_taken="rate_reduced",
        outcome="recovering",
    )
    _assess(history["mild"], clinician, causality="unlikely")
    data = patient_bundle(patient=patient, base_url=BASE)
    bundle = Bundle.parse_obj(data)
    assert bundle.entry[-2].resource.suspectEntity[0].causality[0].productRelatedness == "Probable / likely"
    severe, mild = (e["resource"] for e in _by_type(data, "AdverseEvent"))
    assert severe["seriousness"] == {
        "coding": [
            {"system": SERIOUSNESS_SYSTEM, "code": "Serious", "display": "Serious"},
            {
                "system": SERIOUSNESS_SYSTEM,
                "code": "SeriousResultsInHospitalization",
                "display": "Requires or prolongs inpatient hospitalization",
            },
        ],
        "text": "Serious (ICH E2A): Requires or prolongs hospitalisation; Other medically important event",
    }
    assert severe["outcome"]["coding"] == [
        {
            "system": "http://terminology.hl7.org/CodeSystem/adverse-event-outcome",
            "code": "recovering",
            "display": "Recovering",
        }
    ]
    (causality,) = severe["suspectEntity"][0]["causality"]
    assert causality["assessment"]["coding"] == [
        {
            "system": "http://terminology.hl7.org/CodeSystem/adverse-event-causality-assess",
            "code": "Probably-Likely",
            "display": "Probably/Likely",
        }
    ]
    assert causality["author"] == {"display": "Nora Nurse"}
    (action,) = severe["extension"]
    assert action["valueCodeableConcept"]["coding"][0]["code"] == "rate_reduced"
    assert mild["seriousness"]["coding"] == [
        {"system": SERIOUSNESS_SYSTEM, "code": "Non-serious", "display": "Non-serious"}
    ]
    assert mild["suspectEntity"][0]["causality"][0]["assessment"]["coding"][0]["code"] == "Unlikely"
    assert mild["outcome"]["coding"][0]["code"] == "resolved"


def test_the_latest_assessment_wins_and_the_export_is_in_english(patient, clinician, history):
    _assess(history["severe"], clinician, criteria=["life_threatening"], causality="certain")
    _assess(history["severe"], clinician, criteria=["death"], outcome="fatal", causality="probable")
    with translation.override("es"):
        data = patient_bundle(patient=patient, base_url=BASE)
    Bundle.parse_obj(data)
    severe = _by_type(data, "AdverseEvent")[0]["resource"]
    assert [c["code"] for c in severe["seriousness"]["coding"]] == ["Serious", "SeriousResultsInDeath"]
    assert severe["seriousness"]["text"] == "Serious (ICH E2A): Results in death"
    assert severe["outcome"]["coding"][0]["code"] == "fatal"
    assert severe["suspectEntity"][0]["causality"][0]["productRelatedness"] == "Probable / likely"


def test_medication_administration_carries_product_dose_period_and_rate(patient, history):
    data = patient_bundle(patient=patient, base_url=BASE)
    first, second = (e["resource"] for e in _by_type(data, "MedicationAdministration"))
    assert first["status"] == "completed"
    assert first["medicationCodeableConcept"]["text"].startswith("Privigen")
    assert first["dosage"]["dose"] == {"value": 40, "unit": "g", "system": "http://unitsofmeasure.org", "code": "g"}
    assert datetime.fromisoformat(first["effectivePeriod"]["start"]) == history["first"].started_at.replace(
        microsecond=0
    )
    assert datetime.fromisoformat(first["effectivePeriod"]["end"]) == history["first"].ended_at.replace(microsecond=0)
    assert {"text": "Premedication: Paracetamol"} in first["note"]
    assert second["dosage"]["rateQuantity"]["value"] == 2.5
    assert second["dosage"]["rateQuantity"]["code"] == "mL/kg/h"


def test_only_this_patients_data_and_no_planned_infusions(patient, other_patient, history):
    make_report(infusion=InfusionFactory(patient=other_patient, lot_number="FOREIGN-LOT"), symptoms=[("rash", "mild")])
    InfusionFactory(
        patient=patient,
        status=Infusion.Status.PLANNED,
        started_at=timezone.now() + timedelta(days=20),
        ended_at=None,
        lot_number="PLANNED-LOT",
    )
    text = json.dumps(patient_bundle(patient=patient, base_url=BASE))
    assert "FOREIGN-LOT" not in text and "PLANNED-LOT" not in text
    assert other_patient.full_name not in text
    events = [e["resource"] for e in json.loads(text)["entry"] if e["resource"]["resourceType"] == "AdverseEvent"]
    assert {e["identifier"]["value"] for e in events} == {str(history["severe"].pk), str(history["mild"].pk)}


def test_a_patient_with_no_infusions_gives_a_valid_bundle(clinic):
    lonely = PatientFactory(clinic=clinic)
    bundle = Bundle.parse_obj(patient_bundle(patient=lonely, base_url=BASE))
    assert [e.resource.resource_type for e in bundle.entry] == ["Patient"]


def test_the_patient_resource_carries_their_phone_number_for_the_call_back(clinic):
    reachable = PatientFactory(clinic=clinic, phone="07400 123456", email="reach@example.test")
    bundle = Bundle.parse_obj(patient_bundle(patient=reachable, base_url=BASE))
    telecom = [(point.system, point.value) for point in bundle.entry[0].resource.telecom]
    assert telecom == [("phone", "+447400123456"), ("email", "reach@example.test")]


def _caregiver_report(infusion, *, source, entered_by):
    entry = services.reports.SymptomEntry(code="fever", grade="moderate", onset="during")
    return services.reports.report_create(infusion=infusion, symptoms=[entry], source=source, entered_by=entered_by)


def test_the_patients_own_report_is_recorded_by_the_patient(patient, history):
    data = patient_bundle(patient=patient, base_url=BASE)
    (patient_entry,) = _by_type(data, "Patient")
    for event in (e["resource"] for e in _by_type(data, "AdverseEvent")):
        assert event["recorder"] == {"reference": patient_entry["fullUrl"]}
        assert "contained" not in event


def test_a_caregivers_report_is_recorded_by_a_related_person_not_the_patient(patient, clinician, history):
    caregiver, _link = make_caregiver(patient, full_name="Robin Rivera", email="robin@example.test")
    in_app = _caregiver_report(history["second"], source=ReportSource.CAREGIVER_APP, entered_by=caregiver)
    to_clinic = _caregiver_report(history["second"], source=ReportSource.CAREGIVER, entered_by=clinician)
    with CaptureQueriesContext(connection) as queries:
        data = patient_bundle(patient=patient, base_url=BASE)
    assert len(queries) <= 6  # who reported comes with the reports
    bundle = Bundle.parse_obj(data)
    (patient_entry,) = _by_type(data, "Patient")
    events = {int(e["resource"]["identifier"]["value"]): e["resource"] for e in _by_type(data, "AdverseEvent")}
    named = events[in_app.pk]
    assert named["recorder"] == {"reference": "#caregiver"}
    assert named["subject"] == {"reference": patient_entry["fullUrl"]}
    (person,) = named["contained"]
    assert person == {
        "resourceType": "RelatedPerson",
        "id": "caregiver",
        "patient": {"reference": patient_entry["fullUrl"]},
        "relationship": [
            {
                "coding": [
                    {"system": "http://terminology.hl7.org/CodeSystem/v2-0063", "code": "CGV", "display": "Care giver"}
                ],
                "text": "Caregiver",
            }
        ],
        "identifier": [{"system": f"{BASE}/fhir/NamingSystem/ivigtrack-caregiver", "value": str(caregiver.pk)}],
        "name": [{"text": "Robin Rivera"}],
    }
    # A caregiver who told the clinic is a caregiver still, unnamed: never the patient, nor the nurse.
    unnamed = events[to_clinic.pk]
    assert unnamed["recorder"] == {"reference": "#caregiver"}
    assert "name" not in unnamed["contained"][0] and unnamed["contained"][0]["relationship"][0]["text"] == "Caregiver"
    parsed = [e.resource for e in bundle.entry if e.resource.resource_type == "AdverseEvent"]
    contained = [r for event in parsed for r in (event.contained or [])]
    assert len(contained) == 2 and all(isinstance(r, RelatedPerson) for r in contained)
    # The caregiver's e-mail address stays out: the clinic needs who reported, not how to write to them.
    assert "robin@example.test" not in json.dumps(data)


def test_query_count_does_not_grow_with_the_data(patient, other_patient, clinician):
    for owner, count in ((patient, 2), (other_patient, 15)):
        for n in range(count):
            infusion = InfusionFactory(patient=owner, started_at=timezone.now() - timedelta(days=30 * (n + 1)))
            services.infusions.rate_change_record(
                infusion=infusion,
                by=clinician,
                changed_at=infusion.started_at,
                rate=Decimal(1),
                unit=RateChange.Unit.ML_KG_H,
            )
            report = make_report(infusion=infusion, symptoms=[("headache", "mild"), ("rash", "moderate")])
            _assess(report, clinician)
    counts = []
    for owner in (patient, other_patient):
        owner.refresh_from_db()
        with CaptureQueriesContext(connection) as queries:
            data = patient_bundle(patient=owner, base_url=BASE)
        counts.append(len(queries))
        Bundle.parse_obj(data)
    assert counts[0] == counts[1] <= 6


# --- The view ---------------------------------------------------------------------------------


def test_clinician_downloads_a_bundle_that_validates(clinician_client, clinician, patient, history, settings):
    settings.SITE_URL = BASE
    response = clinician_client.get(reverse("patient_fhir", args=[patient.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json"
    assert response["Content-Disposition"] == f'attachment; filename="ivigtrack-patient-{patient.pk}-fhir.json"'
    assert "no-store" in response["Cache-Control"]
    bundle = Bundle.parse_raw(response.content)
    assert len([e for e in bundle.entry if e.resource.resource_type == "AdverseEvent"]) == 2
    assert bundle.entry[-1].resource.event.coding[0].system == f"{BASE}/fhir/CodeSystem/ivigtrack-symptoms"
    assert AuditEvent.objects.filter(actor=clinician, patient=patient, action="export").exists()


def test_only_staff_of_the_patients_clinic_get_the_bundle(
    login, patient, foreign_clinician, clinic_admin, other_patient, client
):
    url = reverse("patient_fhir", args=[patient.pk])
    assert login(foreign_clinician).get(url).status_code == 404
    assert login(patient).get(url).status_code == 404  # patients are not clinic staff
    assert login(other_patient).get(url).status_code == 404
    assert login(clinic_admin).get(url).status_code == 200
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    # A clinician id, not a patient's, is not a patient.
    assert login(clinic_admin).get(reverse("patient_fhir", args=[clinic_admin.pk])).status_code == 404
