"""Property-based tests: random and hostile data posted to every form and POST endpoint.

Whatever arrives, the app never answers 500, never stores anything from an invalid post,
and says what is wrong next to the field.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reactions import services
from reactions.models import (
    Clinic,
    Flag,
    FlagEvent,
    FollowUp,
    Infusion,
    Invitation,
    RateChange,
    ReactionReport,
    User,
    Vitals,
)
from tests.conftest import _client_for
from tests.factories import (
    ClinicAdminFactory,
    ClinicFactory,
    ClinicianFactory,
    InfusionFactory,
    PatientFactory,
    make_report,
)

pytestmark = pytest.mark.django_db

HOSTILE = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=2100, max_size=2600),  # huge
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "\x07\x1b[31m",
            "'; DROP TABLE reactions_infusion; --",
            '" OR 1=1 --',
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "../../etc/passwd",
            "{{ 7*7 }}",
            "%s%s%n",
            "9" * 400,
            "-1",
            "0",
            "1e308",
            "NaN",
            "Infinity",
            "-0.0",
            "2026-13-45T25:61",
            "0000-00-00T00:00",
            "9999-12-31T23:59",
            "1900-01-01T00:00",
            "2026-03-29T01:30",
            "true",
            "on",
            "None",
            "[]",
            "{}",
        ]
    ),
    st.integers(min_value=-(2**63), max_value=2**63).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M")),
)


# A post is a subset of the form's fields (missing fields), with hostile values, maybe repeated
# (lists) and maybe with extra unknown fields.
def posts(fields: list[str]):
    value = st.one_of(HOSTILE, st.lists(HOSTILE, min_size=2, max_size=3))
    return st.dictionaries(
        st.sampled_from([*fields, "unknown_field", "id", "patient", "clinic"]), value, max_size=len(fields) + 2
    )


PROPERTY = settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
STORED = (Infusion, ReactionReport, Flag, FlagEvent, Vitals, RateChange, Invitation, User, Clinic, FollowUp)


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in STORED}


def _check(response, before: dict[str, int]) -> None:
    assert response.status_code < 500, response.status_code
    if response.status_code in (200, 400) and response.context is not None:
        # Invalid: nothing stored, and some form on the page says what is wrong.
        assert _counts() == before
        forms = [response.context[key] for key in response.context.keys() if key.endswith("form")]  # noqa: SIM118 - a ContextList iterates contexts, not keys
        bound = [f for f in forms if getattr(f, "is_bound", False)]
        assert any(f.errors for f in bound) or not bound, "an invalid post must show its errors"


INFUSION_FIELDS = [
    "status",
    "started_at",
    "ended_at",
    "product",
    "product_other",
    "lot_number",
    "dose_grams",
    "setting",
    "premedication",
    "pre_hydrated",
    "notes",
]
REPORT_FIELDS = [
    "notes",
    "s_headache",
    "s_headache_grade",
    "s_headache_onset",
    "s_headache_ongoing",
    "s_chest_pain",
    "s_chest_pain_grade",
    "s_chest_pain_onset",
]


@pytest.fixture
def world():
    clinic = ClinicFactory()
    patient = PatientFactory(clinic=clinic)
    clinician = ClinicianFactory(clinic=clinic)
    admin = ClinicAdminFactory(clinic=clinic)
    infusion = InfusionFactory(patient=patient)
    flag = make_report(infusion=infusion, symptoms=[("rash", "severe")]).flags.get()
    followup = FollowUp.objects.create(
        infusion=infusion,
        patient=patient,
        offset_hours=2,
        due_at=timezone.now() - timedelta(hours=1),
        status="prompted",
    )
    return {
        "clinic": clinic,
        "patient": patient,
        "clinician": clinician,
        "admin": admin,
        "infusion": infusion,
        "flag": flag,
        "followup": followup,
    }


@PROPERTY
@given(data=posts(INFUSION_FIELDS))
def test_infusion_forms(world, data):
    client = _client_for(world["patient"])
    for url in (reverse("infusion_create"), reverse("infusion_edit", args=[world["infusion"].pk])):
        before = _counts()
        _check(client.post(url, data), before)
    world["infusion"].refresh_from_db()
    assert world["infusion"].patient == world["patient"]


@PROPERTY
@given(data=posts(REPORT_FIELDS))
def test_report_forms_in_the_app_and_by_link(world, data):
    before = _counts()
    _check(_client_for(world["patient"]).post(reverse("report_create", args=[world["infusion"].pk]), data), before)
    token = services.links.followup_token(followup=world["followup"])
    before = _counts()
    _check(Client().post(reverse("followup_report", args=[token]), data), before)


@PROPERTY
@given(
    action=st.sampled_from(["acknowledge", "contact", "assign", "note", "close", "snooze", "reclassify", "reopen"]),
    data=posts(["note", "assignee", "outcome", "days", "reason", "to_level"]),
)
def test_flag_actions(world, action, data):
    # Random data may be a valid action (a note, say): only the absence of a 500 is checked here.
    response = _client_for(world["clinician"]).post(reverse("flag_action", args=[world["flag"].pk, action]), data)
    assert response.status_code < 500


@PROPERTY
@given(
    data=posts(
        [
            "v-phase",
            "v-recorded_at",
            "v-systolic",
            "v-diastolic",
            "v-pulse",
            "v-temperature",
            "v-note",
            "r-changed_at",
            "r-rate",
            "r-unit",
            "r-note",
        ]
    )
)
def test_vitals_and_rate_forms(world, data):
    before = _counts()
    _check(
        _client_for(world["clinician"]).post(reverse("clinic_infusion_detail", args=[world["infusion"].pk]), data),
        before,
    )


@PROPERTY
@given(data=posts(["email", "full_name", "role", "phone"]))
def test_invitation_form(world, data):
    before = _counts()
    _check(_client_for(world["admin"]).post(reverse("invitation_create"), data), before)


@PROPERTY
@given(
    data=posts(
        [
            "name",
            "message_sender_name",
            "out_of_hours_phone",
            "time_zone",
            "quiet_hours_start",
            "quiet_hours_end",
            "prompt_reminder_after_hours",
            "escalation_after_minutes",
            "escalation_repeat_minutes",
            "daily_reminder_at",
            "followup_offsets",
        ]
    )
)
def test_clinic_settings_form(world, data):
    before_clinic = Clinic.objects.values().get(pk=world["clinic"].pk)
    response = _client_for(world["admin"]).post(reverse("clinic_settings"), data)
    assert response.status_code < 500
    if response.status_code != 302:
        assert Clinic.objects.values().get(pk=world["clinic"].pk) == before_clinic
        assert response.context["form"].errors


@PROPERTY
@given(
    data=posts(
        [
            "username",
            "password",
            "full_name",
            "password1",
            "password2",
            "email",
            "choice",
            "token",
            "indication",
            "reason",
            "phone",
        ]
    )
)
def test_anonymous_and_account_endpoints(world, data):
    invitation = services.accounts.invitation_create(
        clinic=world["clinic"],
        email=f"i{Invitation.objects.count()}@x.test",
        full_name="",
        role="patient",
        invited_by=world["clinician"],
    )
    urls = [
        (Client(), reverse("login")),
        (Client(), reverse("password_reset")),
        (Client(), reverse("invitation_accept", args=[services.links.invitation_token(invitation=invitation)])),
        (Client(), reverse("followup_answer", args=["garbage-token"])),
        (Client(), reverse("email_preferences", args=[services.links.email_preferences_token(user=world["patient"])])),
        (_client_for(world["patient"]), reverse("profile")),
        (_client_for(world["patient"]), reverse("my_deletion_request")),
        (_client_for(world["clinician"]), reverse("clinic_patient_update", args=[world["patient"].pk])),
        (_client_for(world["clinician"]), reverse("clinic_patient_phone", args=[world["patient"].pk])),
        (_client_for(world["clinician"]), reverse("two_factor_verify")),
    ]
    for client, url in urls:
        assert client.post(url, data).status_code < 500, url
