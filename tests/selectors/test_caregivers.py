"""Who may see a patient's pages for them, and who gets their prompts."""

from __future__ import annotations

import pytest

from reactions import services
from reactions.selectors.caregivers import prompt_recipients
from tests.factories import PatientFactory, make_caregiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient():
    return PatientFactory()


def test_prompt_recipients_are_the_patient_then_active_caregivers_who_opted_in(patient):
    first, _ = make_caregiver(patient)
    second, _ = make_caregiver(patient)
    make_caregiver(patient, receives_prompts=False)
    _removed, removed_link = make_caregiver(patient)
    services.caregivers.care_link_remove(link=removed_link, by=patient)
    inactive, _ = make_caregiver(patient, is_active=False)
    make_caregiver(PatientFactory(clinic=patient.clinic))  # someone else's
    assert prompt_recipients(patient) == [patient, first, second]
    assert inactive not in prompt_recipients(patient)
