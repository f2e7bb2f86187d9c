"""Patient pages benchmarked in bench/ use a constant number of queries, whatever the data size.

(The clinician pages are covered in tests/views/test_workspace.py.)
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import InfusionFactory, make_report

pytestmark = pytest.mark.django_db


def _grow(patient, n):
    for _ in range(n):
        infusion = InfusionFactory(patient=patient)
        make_report(infusion=infusion, symptoms=[("headache", "mild"), ("rash", "moderate")])
        make_report(infusion=infusion, symptoms=[("fatigue", "very_severe")])


@pytest.fixture
def patient_client(patient_client):
    # A session's first page looks for the patient's two-factor devices once (reactions/signin.py).
    patient_client.get(reverse("home"))
    return patient_client


@pytest.mark.parametrize("name", ["home", "infusion_create"])
def test_patient_pages_use_a_constant_number_of_queries(patient, patient_client, name, count_queries):
    _grow(patient, 1)
    small = count_queries(patient_client, reverse(name))
    _grow(patient, 9)
    large = count_queries(patient_client, reverse(name))
    assert large == small, f"{name}: {small} queries with 1 infusion, {large} with 10"


def test_report_submission_uses_a_constant_number_of_queries(patient, patient_client, count_queries):
    data = {"s_headache": "on", "s_headache_grade": "mild", "s_headache_onset": "during"}
    _grow(patient, 1)
    infusion = InfusionFactory(patient=patient)
    small = count_queries(patient_client, reverse("report_create", args=[infusion.pk]), data=data)
    _grow(patient, 9)
    for _ in range(5):
        make_report(infusion=infusion, symptoms=[("rash", "mild")])
    large = count_queries(patient_client, reverse("report_create", args=[infusion.pk]), data=data)
    assert large == small, f"report submission: {small} queries, then {large} with more data"
