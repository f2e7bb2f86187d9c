from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from reactions.channels.sms.locmem import outbox as sms_outbox
from reactions.models import CareLink
from reactions.views.decorators import CARE_PATIENT_SESSION_KEY
from tests.factories import ClinicAdminFactory, ClinicFactory, ClinicianFactory, PatientFactory
from tests.push_service import PushService
from tests.smtp import SmtpListener

PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Hashing strength is Django's concern; tests only need passwords to work.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _texts_in_memory(settings):
    # Like Django's locmem e-mail backend in tests: texts are kept in reactions.channels.sms.locmem.outbox.
    settings.SMS_URL = "locmem://"
    sms_outbox.clear()
    yield
    sms_outbox.clear()


@pytest.fixture(autouse=True)
def _fresh_fragment_cache():
    # Cached template fragments live in the process's memory: a test starts without another test's.
    caches["template_fragments"].clear()


@pytest.fixture(autouse=True)
def _default_language_after_each_test():
    # A test client's request in Spanish leaves Spanish active in this thread (Django picks the language
    # at the start of the next request, not after one): code a later test calls directly would speak it.
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture
def clinic(db):
    return ClinicFactory(name="Riverside Neurology", out_of_hours_phone="+44 20 7946 0123")


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
    """A client signed in as `user`; clinic staff have also passed two-factor sign-in, a caregiver helps their
    first patient."""
    client = Client()
    client.force_login(user)
    if user.is_caregiver:  # helping their first patient, as after accepting the invitation
        link = CareLink.objects.active().filter(caregiver=user).order_by("pk").first()
        if link is not None:
            session = client.session
            session[CARE_PATIENT_SESSION_KEY] = link.patient_id
            session.save()
    if user.is_clinic_staff:
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
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


@pytest.fixture
def count_queries():
    """count_queries(client, url, data=None) -> the number of SQL queries of one request.

    A GET must answer 200, a POST (a valid form) must redirect (302).
    """

    def count(client: Client, url: str, data: dict | None = None) -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url) if data is None else client.post(url, data)
        assert response.status_code == (200 if data is None else 302), (url, response.status_code)
        return len(ctx.captured_queries)

    return count


@pytest.fixture
def smtp(settings):
    """A real SMTP server on loopback, and this process's e-mail sent to it (tests/integration has its own, for
    the worker processes)."""
    listener = SmtpListener().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", listener.port
    yield listener
    listener.stop()


@pytest.fixture
def own_vapid_key(settings, tmp_path):
    """Each test signs web pushes with a key of its own, made in its own VAR_DIR, as the embedded default does."""
    settings.VAPID_PRIVATE_KEY = ""
    settings.VAPID_PUBLIC_KEY = ""
    settings.VAPID_SUBJECT = ""
    settings.VAPID_KEY_FILE = tmp_path / "var" / "vapid" / "private.pem"


@pytest.fixture
def push_service():
    """A push service on loopback that checks VAPID and decrypts what it is sent (tests/push_service.py)."""
    service = PushService().start()
    yield service
    service.stop()
