"""One authorisation rule set, checked for every URL of the project.

Every named URL pattern is requested as each kind of user; a new URL fails this test
until it is added to EXPECTED below. Anything a user may not see is a 404.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from reactions import engine, services
from reactions.models import FollowUp, Invitation, PushSubscription
from tests.conftest import _client_for
from tests.factories import (
    ClinicAdminFactory,
    ClinicFactory,
    ClinicianFactory,
    InfusionFactory,
    PatientFactory,
    make_caregiver,
    make_report,
)

pytestmark = pytest.mark.django_db

ROLES = (
    "anonymous",
    "owner",
    "other_patient",
    "clinician",
    "foreign_clinician",
    "clinic_admin",
    "caregiver",  # the owner's caregiver
    "other_caregiver",  # the other patient's caregiver
)
LOGIN = "login"  # a redirect to the login page

# name -> expected GET status per role, in ROLES order.
PATIENT_ONLY = (LOGIN, 200, 200, 404, 404, 404, 404, 404)  # the patient's own account: not a caregiver's
FOLLOW_UP = (LOGIN, 200, 200, 404, 404, 404, 200, 200)  # the patient's, or their caregiver's for them
OWNER_ONLY = (LOGIN, 200, 404, 404, 404, 404, 404, 404)
OWNER_OR_CAREGIVER = (LOGIN, 200, 404, 404, 404, 404, 200, 404)
CAREGIVER_ONLY = (LOGIN, 404, 404, 404, 404, 404, 200, 200)
CAREGIVER_POST_ONLY = (LOGIN, 404, 404, 404, 404, 404, 405, 405)
STAFF = (LOGIN, 404, 404, 200, 200, 200, 404, 404)
STAFF_OF_CLINIC = (LOGIN, 404, 404, 200, 404, 200, 404, 404)
STAFF_POST_ONLY = (LOGIN, 404, 404, 405, 405, 405, 404, 404)
ADMIN_ONLY = (LOGIN, 404, 404, 404, 404, 200, 404, 404)
SIGNED_IN = (LOGIN, 200, 200, 200, 200, 200, 200, 200)
TOKEN = (200, 200, 200, 200, 200, 200, 200, 200)  # the signed token is the key; no account needed
PUBLIC = (200, 200, 200, 200, 200, 200, 200, 200)  # holds no patient data
POST_ONLY_PUBLIC = (405, 405, 405, 405, 405, 405, 405, 405)  # reads only what it is sent; CSRF-protected
REDIRECT_TOKEN = (302, 302, 302, 302, 302, 302, 302, 302)  # a texted short link: only a redirect to a TOKEN page
POST_ONLY_SIGNED = (405, 405, 405, 405, 405, 405, 405, 405)  # Twilio's webhook: its signature is the key
RECIPIENT_POST_ONLY = (LOGIN, 405, 405, 404, 404, 404, 405, 405)  # anyone's own devices: a patient's or a caregiver's
EXPECTED: dict[str, tuple] = {
    "home": (LOGIN, 200, 200, 302, 302, 302, 200, 200),
    "infusion_create": FOLLOW_UP,
    "infusion_detail": OWNER_OR_CAREGIVER,
    "infusion_edit": OWNER_OR_CAREGIVER,
    "infusion_delete": OWNER_ONLY,  # deleting a record is the patient's own decision
    "report_create": OWNER_OR_CAREGIVER,
    "report_detail": OWNER_OR_CAREGIVER,
    "report_red_flags": POST_ONLY_PUBLIC,
    "profile": PATIENT_ONLY,
    "push_subscribe": RECIPIENT_POST_ONLY,
    "push_subscription_delete": RECIPIENT_POST_ONLY,
    "invitation_accept": TOKEN,
    "followup_answer": TOKEN,
    "followup_report": TOKEN,
    "checkin_answer": TOKEN,
    "checkin": OWNER_OR_CAREGIVER,
    "email_preferences": TOKEN,
    "short_link": REDIRECT_TOKEN,
    "sms_inbound": POST_ONLY_SIGNED,
    "sms_status": POST_ONLY_SIGNED,
    "clinic_flags": STAFF,
    "flag_detail": STAFF_OF_CLINIC,
    "flag_action": STAFF_POST_ONLY,
    "invitation_create": STAFF,
    "clinic_patients": STAFF,
    "clinic_patient_detail": STAFF_OF_CLINIC,
    "clinic_patient_update": STAFF_POST_ONLY,
    "clinic_patient_phone": STAFF_POST_ONLY,
    "clinic_patient_risk": STAFF_POST_ONLY,
    "clinic_infusion_create": STAFF_OF_CLINIC,
    "clinic_infusion_detail": STAFF_OF_CLINIC,
    "clinic_report_create": STAFF_OF_CLINIC,
    "triage_rules": STAFF,
    "report_reclassify": STAFF_OF_CLINIC,
    "report_assessment": STAFF_OF_CLINIC,
    "infusion_plan": STAFF_OF_CLINIC,
    "product_report": STAFF,
    "clinic_settings": ADMIN_ONLY,
    "clinic_response_times": ADMIN_ONLY,
    "clinic_response_times_csv": ADMIN_ONLY,
    "clinic_prompt_response": ADMIN_ONLY,
    "clinic_prompt_response_csv": ADMIN_ONLY,
    "clinic_account": STAFF,  # each clinician's own account
    "export_events_csv": STAFF,
    "export_infusions_csv": STAFF,
    "patient_fhir": STAFF_OF_CLINIC,
    "patient_summary": STAFF_OF_CLINIC,
    "my_data_json": PATIENT_ONLY,
    "my_data_csv": PATIENT_ONLY,
    "my_summary": FOLLOW_UP,
    # Caregivers: the patient invites and removes them; the caregiver's own page.
    "my_caregivers": PATIENT_ONLY,
    "my_caregiver_remove": OWNER_ONLY,
    "my_caregiver_invitation_withdraw": (LOGIN, 405, 405, 404, 404, 404, 404, 404),  # a POST, by a patient
    "caregiver_invitation_accept": TOKEN,  # says what to do whoever is signed in; only a POST accepts
    "care_home": CAREGIVER_ONLY,
    "care_account": CAREGIVER_ONLY,
    "care_choose": CAREGIVER_POST_ONLY,
    "care_prompts": CAREGIVER_POST_ONLY,
    "care_step_down": (LOGIN, 404, 404, 404, 404, 404, 200, 404),
    # Django's auth views.
    "login": (200, 302, 302, 302, 302, 302, 302, 302),
    "logout": (405, 405, 405, 405, 405, 405, 405, 405),  # only a POST signs out
    "password_change": SIGNED_IN,
    "password_change_done": SIGNED_IN,
    "password_reset": TOKEN,
    "password_reset_done": TOKEN,
    "password_reset_confirm": TOKEN,  # an invalid link shows a clear page
    "password_reset_complete": TOKEN,
    "two_factor_setup": SIGNED_IN,
    "my_access_log": PATIENT_ONLY,
    "my_deletion_request": PATIENT_ONLY,
    "clinic_audit": ADMIN_ONLY,
    "clinic_audit_csv": ADMIN_ONLY,
    "clinic_deletions": ADMIN_ONLY,
    # A patient or caregiver with no device to verify: on to set-up.
    "two_factor_verify": (LOGIN, 302, 302, 200, 200, 200, 302, 302),
    "two_factor_enrol": (LOGIN, 302, 302, 302, 302, 302, 302, 302),  # verified or not staff: on to set-up
    "two_factor_enrol_link": (LOGIN, 200, 400, 400, 400, 400, 400, 400),  # a set-up link works only for its owner
    # The installable shell: public, no patient data.
    "manifest": PUBLIC,
    "service_worker": PUBLIC,
    "offline": PUBLIC,
    # Liveness for load balancers and monitors: no patient data (the world below has a recent dispatcher pass).
    "health": PUBLIC,
}


def _named_patterns(resolver: URLResolver | None = None, namespace: str = "") -> dict[str, URLPattern]:
    found: dict[str, URLPattern] = {}
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue  # Django's admin: staff only, checked separately below
            found.update(_named_patterns(entry, entry.namespace or namespace))
        elif entry.name:
            found[entry.name] = entry
    return found


def test_every_url_pattern_has_an_expectation():
    names = set(_named_patterns())
    assert names - set(EXPECTED) == set(), "new URLs: add them to EXPECTED"
    assert set(EXPECTED) - names == set(), "stale names in EXPECTED"


@pytest.fixture
def world():
    clinic, elsewhere = ClinicFactory(), ClinicFactory()
    owner, other_patient = PatientFactory(clinic=clinic), PatientFactory(clinic=clinic)
    caregiver, link = make_caregiver(owner)
    users = {
        "owner": owner,
        "other_patient": other_patient,
        "clinician": ClinicianFactory(clinic=clinic),
        "foreign_clinician": ClinicianFactory(clinic=elsewhere),
        "clinic_admin": ClinicAdminFactory(clinic=clinic),
        "caregiver": caregiver,
        "other_caregiver": make_caregiver(other_patient)[0],
    }
    infusion = InfusionFactory(patient=owner)
    report = make_report(infusion=infusion, symptoms=[("chest_pain", "severe")])
    planned = InfusionFactory(
        patient=owner, status="planned", started_at=timezone.now() + timedelta(days=2), ended_at=None
    )
    followup = FollowUp.objects.create(
        infusion=infusion, patient=owner, offset_hours=2, due_at=infusion.ended_at, status=FollowUp.Status.PROMPTED
    )
    checkin = FollowUp.objects.create(
        infusion=planned,
        patient=owner,
        kind=FollowUp.Kind.PRE_INFUSION,
        due_at=timezone.now() - timedelta(hours=1),
        status=FollowUp.Status.DONE,
    )
    engine.dispatcher.dispatch_tick()  # /health/ answers 200 only after a recent dispatcher pass
    caregiver_invitation = services.caregivers.caregiver_invite(
        patient=owner, email="carer@example.test", full_name="Carer"
    )
    invitation = services.accounts.invitation_create(
        clinic=clinic, email="new@example.test", full_name="New", role="patient", invited_by=users["clinician"]
    )
    device = PushSubscription.objects.create(
        user=owner, endpoint="https://fcm.googleapis.com/fcm/send/owner", p256dh="p", auth="a"
    )
    args = {
        "push_subscription_delete": [device.pk],
        "infusion_detail": [infusion.pk],
        "infusion_edit": [infusion.pk],
        "infusion_delete": [infusion.pk],
        "report_create": [infusion.pk],
        "report_detail": [report.pk],
        "flag_detail": [report.flags.get().pk],
        "flag_action": [report.flags.get().pk, "acknowledge"],
        "clinic_patient_detail": [owner.pk],
        "clinic_patient_update": [owner.pk],
        "clinic_patient_phone": [owner.pk],
        "clinic_patient_risk": [owner.pk],
        "clinic_infusion_create": [owner.pk],
        "clinic_infusion_detail": [infusion.pk],
        "clinic_report_create": [infusion.pk],
        "report_reclassify": [report.pk],
        "report_assessment": [report.pk],
        "infusion_plan": [planned.pk],
        "patient_fhir": [owner.pk],
        "patient_summary": [owner.pk],
        "invitation_accept": [services.links.invitation_token(invitation=Invitation.objects.get(pk=invitation.pk))],
        "followup_answer": [services.links.followup_token(followup=followup)],
        "followup_report": [services.links.followup_token(followup=followup)],
        "email_preferences": [services.links.email_preferences_token(user=owner)],
        "checkin": [checkin.pk],
        "checkin_answer": [services.links.checkin_token(followup=checkin)],
        "short_link": [services.links.short_token(kind=services.links.ShortLinkKind.FOLLOWUP, pk=followup.pk)],
        "password_reset_confirm": ["MQ", "invalid-token"],
        "my_caregiver_remove": [link.pk],
        "my_caregiver_invitation_withdraw": [caregiver_invitation.pk],
        "caregiver_invitation_accept": [
            services.links.caregiver_invitation_token(invitation=caregiver_invitation),
        ],
        "care_choose": [link.pk],
        "care_prompts": [link.pk],
        "care_step_down": [link.pk],
        "two_factor_enrol_link": [services.links.two_factor_enrolment_token(user=owner)],
    }
    return users, args


def _client(users: dict, role: str) -> Client:
    return Client() if role == "anonymous" else _client_for(users[role])


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_get_permissions(world, name):
    users, args = world
    url = reverse(name, args=args.get(name, []))
    for role, expected in zip(ROLES, EXPECTED[name], strict=True):
        response = _client(users, role).get(url)
        if expected == LOGIN:
            assert response.status_code == 302 and response.url.startswith(reverse("login")), (name, role)
        else:
            assert response.status_code == expected, (name, role, response.status_code)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("infusion_edit", {"status": "given"}),
        ("infusion_delete", {}),
        ("report_create", {"notes": "hello"}),
        ("push_subscription_delete", {}),
    ],
)
def test_posts_to_another_patients_records_are_404_and_change_nothing(world, name, data):
    users, args = world
    url = reverse(name, args=args[name])
    for role in ("other_patient", "clinician", "foreign_clinician", "other_caregiver"):
        assert _client(users, role).post(url, data).status_code == 404, role
    if name == "infusion_delete":  # deleting a record is the patient's own decision, not their caregiver's
        assert _client(users, "caregiver").post(url, data).status_code == 404
    assert users["owner"].infusions.count() == 2  # the given one and the planned one
    assert users["owner"].reports.count() == 1
    assert users["owner"].push_subscriptions.count() == 1


def test_a_clinician_of_another_clinic_cannot_act_on_a_flag_or_patient(world):
    users, args = world
    client = _client(users, "foreign_clinician")
    flag_id = args["flag_detail"][0]
    assert client.post(reverse("flag_action", args=[flag_id, "acknowledge"]), {"note": "x"}).status_code == 404
    assert (
        client.post(
            reverse("clinic_patient_update", args=args["clinic_patient_update"]), {"indication": "relapse"}
        ).status_code
        == 404
    )
    assert (
        client.post(
            reverse("report_reclassify", args=args["report_reclassify"]), {"to_level": "mild", "reason": "x"}
        ).status_code
        == 404
    )
    assert (
        client.post(
            reverse("clinic_patient_risk", args=args["clinic_patient_risk"]), {"thrombosis_history": "on"}
        ).status_code
        == 404
    )
    users["owner"].refresh_from_db()
    assert users["owner"].indication == ""
    assert users["owner"].thrombosis_history is False
    assert users["owner"].flags.get().status == "open"


def test_django_admin_is_for_support_staff_only(world):
    users, _ = world
    for role in ROLES:
        response = _client(users, role).get("/admin/")
        assert response.status_code == 302 and "/admin/login/" in response.url, role


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_page_is_private_and_never_stored(world, name):
    """Pages hold health data: no shared cache and no browser disk cache may keep them."""
    users, args = world
    url = reverse(name, args=args.get(name, []))
    for role, expected in zip(ROLES, EXPECTED[name], strict=True):
        response = _client(users, role).get(url)
        if name in ("manifest", "service_worker"):  # they set their own caching: no personal data in them
            assert "no-store" not in response.get("Cache-Control", ""), (name, role)
        elif expected != 405:
            cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
            assert {"private", "no-store"} <= cache_control, (name, role, cache_control)


# The second step of signing in itself, and pages that need no account (a signed link is the key).
SECOND_STEP_PAGES = {"two_factor_verify", "two_factor_setup", "two_factor_enrol", "two_factor_enrol_link", "logout"}


@pytest.mark.parametrize("with_device", [True, False], ids=["with a device", "no device yet"])
def test_a_password_alone_opens_no_staff_page(world, with_device):
    """Signed in with the right password but not the second step: every staff URL sends to the second
    step, and nothing that needs an account answers more than it would to anyone anonymous."""
    users, args = world
    clinician = users["clinician"]
    if with_device:
        TOTPDevice.objects.create(user=clinician, name="phone", confirmed=True)
    client = Client()
    client.force_login(clinician)
    second_step = reverse("two_factor_verify" if with_device else "two_factor_enrol")
    checked = 0
    for name, expected in sorted(EXPECTED.items()):
        if name in SECOND_STEP_PAGES or expected[0] != LOGIN:
            continue  # public, or reached with a signed link whatever the session
        response = client.get(reverse(name, args=args.get(name, [])))
        assert response.status_code == 302 and response.url.startswith(second_step), (name, response.status_code)
        checked += 1
    assert checked >= 30
    assert not TOTPDevice.objects.filter(user=clinician, confirmed=True).exclude(name="phone").exists()
