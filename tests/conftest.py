from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import ClinicAdminFactory, ClinicFactory, ClinicianFactory, PatientFactory

PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Hashing strength is Django's concern; tests only need passwords to work.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def clinic(db):
    return ClinicFactory(name="Riverside Neurology", emergency_phone="+44 20 7946 0123")


@pytest.fixture
def other_clinic(db):
    return ClinicFactory(name="Hillside MS Centre")


@pytest.fixture
def patient(clinic):
    return PatientFactory(clinic=clinic, email="pat@example.test", full_name="Pat Example")


@pytest.fixture
def other_patient(clinic):
    return PatientFactory(clinic=clinic, email="other@example.test")


@pytest.fixture
def clinician(clinic):
    return ClinicianFactory(clinic=clinic, email="nurse@example.test", full_name="Nora Nurse")


@pytest.fixture
def clinic_admin(clinic):
    return ClinicAdminFactory(clinic=clinic, email="admin@example.test")


@pytest.fixture
def foreign_clinician(other_clinic):
    return ClinicianFactory(clinic=other_clinic, email="elsewhere@example.test")


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def patient_client(patient):
    return _client_for(patient)


@pytest.fixture
def clinician_client(clinician):
    return _client_for(clinician)


@pytest.fixture
def login():
    """login(user) -> a test client signed in as that user."""
    return _client_for
