"""FHIR R4 (4.0.1) export: a patient's infusions and reaction reports as a JSON Bundle.

Each given infusion is a MedicationAdministration; each reaction report is an
AdverseEvent whose suspectEntity is that administration, recorded by the patient or, when a caregiver
gave the report, by a RelatedPerson contained in the event. An event's seriousness, outcome and causality
come from a clinician's assessment (reactions/domain/pharmacovigilance.py): without one, the event
says neither serious nor non-serious, whatever the patient ticked. Every resource has a
deterministic ``urn:uuid:`` fullUrl (uuid5 of the site, the resource type and the
row id), so references resolve inside the bundle and a second export of the same
data gives the same identifiers.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, Q
from django.utils import timezone, translation

from reactions.domain import pharmacovigilance as pv
from reactions.domain.catalogue import Grade
from reactions.exports.reporters import by_caregiver, reporting_caregiver
from reactions.models import EventAssessment, Infusion, RateChange, ReactionReport, User
from reactions.selectors.pharmacovigilance import current_assessment, current_assessment_prefetch

SERIOUSNESS_SYSTEM = pv.SERIOUSNESS_SYSTEM
SEVERITY_SYSTEM = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
# SNOMED CT 47625008 |Intravenous route (qualifier value)|
INTRAVENOUS_ROUTE = {"system": SNOMED, "code": "47625008", "display": "Intravenous route"}

# FHIR R4 MedicationAdministration.status from our infusion status.
_ADMINISTRATION_STATUS = {Infusion.Status.GIVEN: "completed", Infusion.Status.PLANNED: "unknown"}
# The AdverseEvent severity value set has three levels; PRO-CTCAE's "very severe" maps to severe.
_SEVERITY = {
    Grade.MILD: ("mild", "Mild"),
    Grade.MODERATE: ("moderate", "Moderate"),
    Grade.SEVERE: ("severe", "Severe"),
    Grade.VERY_SEVERE: ("severe", "Severe"),
}
_GRADE_ORDER = [Grade.MILD, Grade.MODERATE, Grade.SEVERE, Grade.VERY_SEVERE]
_UCUM_RATE = {RateChange.Unit.ML_KG_H: "mL/kg/h", RateChange.Unit.ML_H: "mL/h"}
# HL7 v2 table 0063 (Relationship) "CGV": R4's RelatedPerson.relationship binding is only "preferred", and its
# value set has no caregiver; this table has.
CAREGIVER_RELATIONSHIP = {
    "coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0063", "code": "CGV", "display": "Care giver"}],
    "text": "Caregiver",
}
# The contained RelatedPerson's local id, referenced as "#caregiver" from the event it belongs to.
_CAREGIVER_ID = "caregiver"


def symptom_system(base_url: str) -> str:
    return f"{base_url.rstrip('/')}/fhir/CodeSystem/ivigtrack-symptoms"


def resource_uuid(base_url: str, resource_type: str, pk: int | str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{base_url.rstrip('/')}/fhir/{resource_type}/{pk}"))


def full_url(base_url: str, resource_type: str, pk: int | str) -> str:
    return f"urn:uuid:{resource_uuid(base_url, resource_type, pk)}"


def fhir_datetime(value: datetime) -> str:
    """An ISO 8601 dateTime with its UTC offset, as FHIR requires when a time is given."""
    return value.astimezone(UTC).isoformat(timespec="seconds")


def _decimal(value: Decimal) -> float | int:
    # JSON has no decimal type; whole numbers stay integers (35.0 g -> 35).
    return int(value) if value == value.to_integral_value() else float(value)


def patient_bundle(*, patient: User, base_url: str) -> dict[str, Any]:
    """The patient, their given infusions and their reaction reports as a FHIR R4 collection Bundle.

    Five queries whatever the data size (infusions, their rate changes, reports with who entered them, their
    symptoms, their current assessments), six when the patient's clinic is not loaded yet.
    """
    base_url = base_url.rstrip("/")
    patient_url = full_url(base_url, "Patient", patient.pk)
    infusions = list(
        Infusion.objects.filter(patient=patient)
        .filter(Q(status=Infusion.Status.GIVEN) | Q(reports__isnull=False))
        .distinct()
        .order_by("started_at", "pk")
        .prefetch_related(Prefetch("rate_changes", queryset=RateChange.objects.order_by("changed_at", "pk")))
    )
    reports = list(
        ReactionReport.objects.filter(patient=patient)
        .select_related("entered_by")
        .order_by("created_at", "pk")
        .prefetch_related("symptoms", current_assessment_prefetch())
    )
    entries = [_entry(patient_url, _patient_resource(patient, base_url))]
    entries += [
        _entry(full_url(base_url, "MedicationAdministration", i.pk), _administration(i, patient_url)) for i in infusions
    ]
    entries += [
        _entry(full_url(base_url, "AdverseEvent", r.pk), _adverse_event(r, patient_url, base_url)) for r in reports
    ]
    return {
        "resourceType": "Bundle",
        "id": resource_uuid(base_url, "Bundle", f"patient-{patient.pk}"),
        "meta": {"lastUpdated": fhir_datetime(timezone.now())},
        "type": "collection",
        "timestamp": fhir_datetime(timezone.now()),
        "entry": entries,
    }


def _entry(url: str, resource: dict[str, Any]) -> dict[str, Any]:
    resource["id"] = url.removeprefix("urn:uuid:")
    return {"fullUrl": url, "resource": resource}


def _patient_resource(patient: User, base_url: str) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "identifier": [{"system": f"{base_url}/fhir/NamingSystem/ivigtrack-patient", "value": str(patient.pk)}],
        "active": patient.is_active,
        "name": [{"text": patient.full_name}],
    }
    telecom = []
    if patient.phone:
        telecom.append({"system": "phone", "value": patient.phone_dial})
    if patient.email:
        telecom.append({"system": "email", "value": patient.email})
    if telecom:
        resource["telecom"] = telecom
    if patient.clinic_id:
        resource["managingOrganization"] = {"display": patient.clinic.name}
    return resource


def _administration(infusion: Infusion, patient_url: str) -> dict[str, Any]:
    period: dict[str, str] = {"start": fhir_datetime(infusion.started_at)}
    if infusion.ended_at:
        period["end"] = fhir_datetime(infusion.ended_at)
    dosage: dict[str, Any] = {"route": {"coding": [INTRAVENOUS_ROUTE], "text": "Intravenous"}}
    if infusion.dose_grams:
        dosage["dose"] = {"value": _decimal(infusion.dose_grams), "unit": "g", "system": UCUM, "code": "g"}
    rates = list(infusion.rate_changes.all())
    if rates:
        # Rates are raised step by step; the highest tells how fast the infusion ran.
        top = max(rates, key=lambda r: (r.unit == RateChange.Unit.ML_KG_H, r.rate))
        unit = _UCUM_RATE.get(top.unit, top.unit)
        dosage["rateQuantity"] = {"value": _decimal(top.rate), "unit": unit, "system": UCUM, "code": unit}
        steps = ", ".join(
            f"{timezone.localtime(r.changed_at):%H:%M} {r.rate.normalize():f} {r.get_unit_display()}" for r in rates
        )
        dosage["text"] = f"Rate steps: {steps}"
    notes = []
    if infusion.lot_number:
        notes.append({"text": f"Lot number: {infusion.lot_number}"})
    if infusion.premedication:
        notes.append({"text": f"Premedication: {infusion.premedication}"})
    notes.append({"text": "Extra fluids before the infusion: " + ("yes" if infusion.pre_hydrated else "no")})
    notes.append({"text": f"Setting: {infusion.get_setting_display()}"})
    resource: dict[str, Any] = {
        "resourceType": "MedicationAdministration",
        "status": _ADMINISTRATION_STATUS.get(infusion.status, "unknown"),
        "medicationCodeableConcept": {"text": f"{infusion.product_name} (intravenous immunoglobulin)"},
        "subject": {"reference": patient_url},
        "effectivePeriod": period,
        "dosage": dosage,
        "note": notes,
    }
    return resource


def _adverse_event(report: ReactionReport, patient_url: str, base_url: str) -> dict[str, Any]:
    symptoms = list(report.symptoms.all())
    event: dict[str, Any] = {
        "coding": [
            {"system": symptom_system(base_url), "code": s.code, "display": str(s.symptom.clinical_name)}
            for s in symptoms
        ],
        "text": "; ".join(
            f"{s.symptom.clinical_name} ({s.get_grade_display().lower()}, {s.get_onset_display().lower()}"
            f"{', ongoing' if s.ongoing else ''})"
            for s in symptoms
        )
        or "Reaction reported without a listed symptom",
    }
    when = fhir_datetime(report.created_at)
    suspect: dict[str, Any] = {
        "instance": {"reference": full_url(base_url, "MedicationAdministration", report.infusion_id)}
    }
    resource: dict[str, Any] = {
        "resourceType": "AdverseEvent",
        "identifier": {"system": f"{base_url}/fhir/NamingSystem/ivigtrack-report", "value": str(report.pk)},
        "actuality": "actual",
        "event": event,
        "subject": {"reference": patient_url},
        "date": when,
        "detected": when,
        "recordedDate": when,
        "recorder": {"reference": patient_url},
        "suspectEntity": [suspect],
    }
    if by_caregiver(report):
        # A caregiver's account is not the patient's own: the event says who gave it.
        resource["contained"] = [_caregiver(report, patient_url, base_url)]
        resource["recorder"] = {"reference": f"#{_CAREGIVER_ID}"}
    assessment = current_assessment(report)
    if assessment is not None:
        _add_assessment(resource, suspect, assessment, base_url)
    grades = [s.grade for s in symptoms if s.grade in _SEVERITY]
    if grades:
        code, display = _SEVERITY[max(grades, key=_GRADE_ORDER.index)]
        resource["severity"] = {"coding": [{"system": SEVERITY_SYSTEM, "code": code, "display": display}]}
    return resource


def _caregiver(report: ReactionReport, patient_url: str, base_url: str) -> dict[str, Any]:
    """The caregiver who gave the report, as a RelatedPerson of the patient: named when they reported in the
    app with their own account; unnamed when they told the clinic (the report names only who entered it)."""
    person: dict[str, Any] = {
        "resourceType": "RelatedPerson",
        "id": _CAREGIVER_ID,
        "patient": {"reference": patient_url},
        "relationship": [CAREGIVER_RELATIONSHIP],
    }
    caregiver = reporting_caregiver(report)
    if caregiver is not None:
        person["identifier"] = [
            {"system": f"{base_url}/fhir/NamingSystem/ivigtrack-caregiver", "value": str(caregiver.pk)}
        ]
        person["name"] = [{"text": caregiver.full_name}]
    return person


def _add_assessment(
    resource: dict[str, Any], suspect: dict[str, Any], assessment: EventAssessment, base_url: str
) -> None:
    """Seriousness (ICH E2A), outcome, WHO-UMC causality and the action taken, from a clinician's assessment.

    The export is in English whatever the clinician's language: the criteria and labels are the lists' own.
    """
    criteria = assessment.criteria
    labels = [_english(pv.Seriousness(c).label) for c in criteria]
    resource["seriousness"] = {
        "coding": [coding.as_fhir() for coding in pv.fhir_seriousness(criteria)],
        "text": f"Serious (ICH E2A): {'; '.join(labels)}" if criteria else "Non-serious (ICH E2A)",
    }
    resource["outcome"] = {"coding": [pv.FHIR_OUTCOME[assessment.outcome].as_fhir()]}
    causality: dict[str, Any] = {
        "assessment": {
            "coding": [pv.FHIR_CAUSALITY[assessment.causality].as_fhir()],
            "text": f"WHO-UMC: {_english(pv.Causality(assessment.causality).label)}",
        },
        "productRelatedness": _english(pv.Causality(assessment.causality).label),
    }
    if assessment.recorded_by is not None:
        causality["author"] = {"display": assessment.recorded_by.full_name}
    suspect["causality"] = [causality]
    # R4's AdverseEvent has no element for what was done with the product: an extension carries it.
    resource["extension"] = [
        {
            "url": f"{base_url}/fhir/StructureDefinition/ivigtrack-action-taken",
            "valueCodeableConcept": {
                "coding": [
                    {
                        "system": f"{base_url}/fhir/CodeSystem/ivigtrack-action-taken",
                        "code": assessment.action_taken,
                        "display": _english(pv.ActionTaken(assessment.action_taken).label),
                    }
                ]
            },
        }
    ]


def _english(label: Any) -> str:
    with translation.override("en"):
        return str(label)
