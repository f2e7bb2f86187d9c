"""Access control, hardening, the audit trail and account deletion."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from reactions import engine, selectors, services
from reactions.models import AuditEvent, DeletionRequest, Flag, Infusion, OutboundEmail, ReactionReport
from tests.factories import ClinicianFactory, InfusionFactory, PatientFactory, make_report

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "correct-horse-battery"


def _totp_now(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


# --- Login throttling ------------------------------------------------------------------------


def test_repeated_failures_lock_the_login_out_with_a_clear_message(patient):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": patient.email, "password": "wrong"})
    locked = client.post(reverse("login"), {"username": patient.email, "password": PASSWORD})
    assert locked.status_code == 429
    assert "Too many failed sign-in attempts" in locked.content.decode()
    assert "_auth_user_id" not in client.session  # even the right password is refused while locked


def test_the_lock_out_holds_whatever_capitals_are_typed(patient):
    client = Client()
    spellings = [
        patient.email,
        patient.email.upper(),
        patient.email.title(),
        patient.email,
        " " + patient.email.upper(),
    ]
    for spelling in spellings:  # five failures, each case variant counting towards the same lock-out
        client.post(reverse("login"), {"username": spelling, "password": "wrong"})
    for spelling in (patient.email, patient.email.upper(), patient.email.capitalize()):
        locked = client.post(reverse("login"), {"username": spelling, "password": PASSWORD})
        assert locked.status_code == 429, spelling
        assert "_auth_user_id" not in client.session


def test_behind_a_proxy_the_lock_out_and_the_audit_trail_see_the_client(settings, patient, clinician):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.1"}  # every request arrives from the proxy, which appends the client
    attacker, nurse = "203.0.113.5", "198.51.100.7"
    for _ in range(settings.AXES_FAILURE_LIMIT):
        # The attacker's own X-Forwarded-For entry ("1.1.1.1") is spoofed; the proxy's appended one counts.
        Client().post(
            reverse("login"),
            {"username": patient.email, "password": "wrong"},
            HTTP_X_FORWARDED_FOR=f"1.1.1.1, {attacker}",
            **proxy,
        )
    locked = Client().post(
        reverse("login"), {"username": patient.email, "password": PASSWORD}, HTTP_X_FORWARDED_FOR=attacker, **proxy
    )
    assert locked.status_code == 429
    # Keyed on the client, not on the proxy: the patient on another connection still signs in.
    own = Client().post(
        reverse("login"), {"username": patient.email, "password": PASSWORD}, HTTP_X_FORWARDED_FOR=nurse, **proxy
    )
    assert own.status_code == 302

    client = Client()
    client.force_login(clinician)
    device = TOTPDevice.objects.create(user=clinician, name="phone", confirmed=True)
    client.post(reverse("two_factor_verify"), {"token": _totp_now(device)}, HTTP_X_FORWARDED_FOR=nurse, **proxy)
    client.get(reverse("clinic_patient_detail", args=[patient.pk]), HTTP_X_FORWARDED_FOR=f"bogus, {nurse}", **proxy)
    assert AuditEvent.objects.get(what="timeline").ip_address == nurse


def test_a_forwarded_address_that_is_not_an_address_falls_back_to_the_connection(rf, settings):
    from reactions.signin import client_ip

    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(rf.get("/", HTTP_X_FORWARDED_FOR="not-an-ip", REMOTE_ADDR="10.0.0.1")) == "10.0.0.1"
    assert client_ip(rf.get("/", HTTP_X_FORWARDED_FOR="2001:db8::7", REMOTE_ADDR="10.0.0.1")) == "2001:db8::7"
    settings.TRUSTED_PROXY_COUNT = 0  # facing clients directly: a client's own header is ignored
    assert client_ip(rf.get("/", HTTP_X_FORWARDED_FOR="203.0.113.5", REMOTE_ADDR="10.0.0.1")) == "10.0.0.1"


def test_an_overlong_e_mail_at_sign_in_is_refused_at_the_field(patient):
    # Longer than any address (254) and than django-axes' record of a failed attempt (255): PostgreSQL
    # refused that record with a 500 before the form checked the length.
    page = Client().post(reverse("login"), {"username": "a" * 300 + "@x.test", "password": "wrong"})
    assert page.status_code == 200
    assert "Ensure this value has at most 254 characters" in page.content.decode()
    ok = Client().post(reverse("login"), {"username": patient.email, "password": PASSWORD})
    assert ok.status_code == 302


def test_an_admin_unlock_lets_the_patient_sign_in_again(patient):
    from axes.utils import reset

    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": patient.email, "password": "wrong"})
    reset(username=patient.email)  # what Django admin > Access attempts > delete, or axes_reset_username, does
    ok = client.post(reverse("login"), {"username": patient.email, "password": PASSWORD})
    assert ok.status_code == 302 and client.session["_auth_user_id"] == str(patient.pk)


# --- Two-factor sign-in --------------------------------------------------------------------------


@pytest.fixture
def no_otp_throttle(settings):
    # django-otp slows retries after a wrong code (1 s, 2 s, …); these tests retry at once.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def _password_only(user) -> Client:
    client = Client()
    assert client.post(reverse("login"), {"username": user.email, "password": PASSWORD}).status_code == 302
    return client


def test_a_clinician_without_a_device_enrols_only_through_a_link_e_mailed_to_them(clinician, no_otp_throttle):
    client = _password_only(clinician)
    response = client.get(reverse("clinic_flags"))
    assert response.status_code == 302 and response.url.startswith(reverse("two_factor_enrol"))
    # A password alone is shown no authenticator secret and can create no device.
    setup = client.get(reverse("two_factor_setup"))
    assert setup.status_code == 302 and setup.url.startswith(reverse("two_factor_enrol"))
    assert client.post(reverse("two_factor_setup"), {"token": "123456"}).status_code == 302
    assert not TOTPDevice.objects.filter(user=clinician).exists()

    page = client.get(reverse("two_factor_enrol"))
    assert "Flagged events" not in page.content.decode()  # no navigation, no count of patients yet
    client.post(reverse("two_factor_enrol"))
    email = OutboundEmail.objects.get(kind=OutboundEmail.Kind.TWO_FACTOR_ENROLMENT)
    assert email.to_email == clinician.email
    link = re.search(r"https?://\S+/accounts/2fa/enrol/\S+/", email.body_text).group(0)
    path = urlsplit(link).path

    assert client.get(path).status_code == 200  # a GET (a mail scanner) allows nothing
    assert client.get(reverse("two_factor_setup")).status_code == 302
    assert client.post(path).url == reverse("two_factor_setup")
    assert 'src="data:image/svg+xml;base64,' in client.get(reverse("two_factor_setup")).content.decode()
    device = TOTPDevice.objects.get(user=clinician, confirmed=False)
    bad = client.post(reverse("two_factor_setup"), {"token": "000000", "next": "/clinic/flags/"})
    assert "does not match" in bad.content.decode()
    done = client.post(reverse("two_factor_setup"), {"token": _totp_now(device), "next": "/clinic/flags/"})
    codes = done.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get(reverse("clinic_flags")).status_code == 200
    # The link worked once: with a device now, it is refused.
    assert client.get(path).status_code == 400


def test_a_set_up_link_works_only_for_the_account_it_was_sent_to(clinician, clinic):
    other = ClinicianFactory(clinic=clinic)
    token = services.links.two_factor_enrolment_token(user=other)
    client = _password_only(clinician)
    assert client.post(reverse("two_factor_enrol_link", args=[token])).status_code == 400
    assert client.get(reverse("two_factor_setup")).status_code == 302


def test_a_password_alone_cannot_add_a_device_where_one_exists(clinician, no_otp_throttle):
    codes = services.accounts.backup_codes_replace(user=clinician)
    client = _password_only(clinician)
    setup = client.get(reverse("two_factor_setup"))
    assert setup.status_code == 302 and setup.url.startswith(reverse("two_factor_verify"))
    assert client.post(reverse("two_factor_setup"), {"token": "123456"}).status_code == 302
    assert not TOTPDevice.objects.filter(user=clinician).exists()
    assert sorted(StaticToken.objects.filter(device__user=clinician).values_list("token", flat=True)) == sorted(codes)
    assert client.get(reverse("clinic_flags")).url.startswith(reverse("two_factor_verify"))

    # Once the second step is passed, a new phone can be set up (and new backup codes replace the old).
    client.post(reverse("two_factor_verify"), {"token": codes[0]})
    assert client.get(reverse("two_factor_setup")).status_code == 200


def test_an_invited_clinician_sets_up_the_authenticator_straight_away(clinic, clinic_admin, no_otp_throttle):
    invitation = services.accounts.invitation_create(
        clinic=clinic, email="new.nurse@example.test", full_name="New Nurse", role="clinician", invited_by=clinic_admin
    )
    client = Client()
    token = services.links.invitation_token(invitation=invitation)
    client.post(
        reverse("invitation_accept", args=[token]),
        {"full_name": "New Nurse", "password1": "a-long-new-pass-phrase", "password2": "a-long-new-pass-phrase"},
    )
    response = client.get(reverse("clinic_flags"))
    assert response.url.startswith(reverse("two_factor_setup"))
    assert client.get(response.url).status_code == 200


def test_a_patient_who_turned_two_factor_on_verifies_at_each_sign_in(patient, no_otp_throttle):
    client = _password_only(patient)
    assert client.get(reverse("home")).status_code == 200  # no device: optional, from the profile
    assert client.get(reverse("two_factor_setup")).status_code == 200
    device = TOTPDevice.objects.get(user=patient, confirmed=False)
    codes = client.post(reverse("two_factor_setup"), {"token": _totp_now(device)}).context["codes"]

    again = _password_only(patient)
    assert again.get(reverse("home")).url.startswith(reverse("two_factor_verify"))
    assert again.get(reverse("my_data_json")).url.startswith(reverse("two_factor_verify"))
    again.post(reverse("two_factor_verify"), {"token": codes[0]})
    assert again.get(reverse("home")).status_code == 200


def test_a_clinician_with_a_device_verifies_each_sign_in_and_backup_codes_work_once(clinician, no_otp_throttle):
    device = TOTPDevice.objects.create(user=clinician, name="phone", confirmed=True)
    client = Client()
    client.post(reverse("login"), {"username": clinician.email, "password": PASSWORD})
    assert client.get(reverse("clinic_patients")).url.startswith(reverse("two_factor_verify"))
    assert client.post(reverse("two_factor_verify"), {"token": "123"}).status_code == 200
    assert client.post(reverse("two_factor_verify"), {"token": _totp_now(device), "next": "/clinic/patients/"}).url == (
        "/clinic/patients/"
    )
    assert client.get(reverse("clinic_patients")).status_code == 200

    code = services.accounts.backup_codes_replace(user=clinician)[0]
    other = Client()
    other.post(reverse("login"), {"username": clinician.email, "password": PASSWORD})
    other.post(reverse("two_factor_verify"), {"token": code})
    assert other.get(reverse("clinic_patients")).status_code == 200
    assert not StaticToken.objects.filter(token=code).exists()  # used up


def test_the_second_step_shows_no_menu_count_or_patient_before_the_code(clinician, patient, no_otp_throttle):
    make_report(infusion=InfusionFactory(patient=patient), symptoms=[("chest_pain", "severe")])
    codes = services.accounts.backup_codes_replace(user=clinician)
    client = _password_only(clinician)
    page = client.get(reverse("two_factor_verify")).content.decode()
    for shown_only_after in ("Flagged events", "needing action", "Patients", "Invite", patient.full_name):
        assert shown_only_after not in page, shown_only_after
    assert "Sign out" in page

    # Used up to the last two: using one leaves one, and the message says so in the singular.
    StaticToken.objects.filter(device__user=clinician).exclude(token__in=codes[:2]).delete()
    response = client.post(reverse("two_factor_verify"), {"token": codes[0]}, follow=True)
    assert "You used a backup code; 1 is left." in response.content.decode()
    after = client.get(reverse("clinic_flags")).content.decode()
    assert "Flagged events" in after and patient.full_name in after


def test_two_factor_is_optional_for_patients(patient):
    client = Client()
    client.post(reverse("login"), {"username": patient.email, "password": PASSWORD})
    assert client.get(reverse("home")).status_code == 200


def test_the_next_parameter_cannot_redirect_off_site(clinician):
    device = TOTPDevice.objects.create(user=clinician, name="phone", confirmed=True)
    client = Client()
    client.post(reverse("login"), {"username": clinician.email, "password": PASSWORD})
    response = client.post(reverse("two_factor_verify"), {"token": _totp_now(device), "next": "https://evil.example/"})
    assert response.url == "/"


# --- Sessions and passwords -----------------------------------------------------------------------


def test_sessions_expire_after_inactivity_shorter_for_clinicians(patient_client, clinician_client):
    patient_client.get(reverse("home"))
    clinician_client.get(reverse("clinic_flags"))
    assert patient_client.session.get_expiry_age() == settings.PATIENT_SESSION_IDLE_SECONDS
    assert clinician_client.session.get_expiry_age() == settings.STAFF_SESSION_IDLE_SECONDS
    assert settings.STAFF_SESSION_IDLE_SECONDS < settings.PATIENT_SESSION_IDLE_SECONDS


def test_changing_the_password_signs_out_every_other_session(patient):
    phone, laptop = Client(), Client()
    for client in (phone, laptop):
        client.post(reverse("login"), {"username": patient.email, "password": PASSWORD})
    laptop.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-Brand-new-passphrase-9",
            "new_password2": "a-Brand-new-passphrase-9",
        },
    )
    assert laptop.get(reverse("home")).status_code == 200
    assert phone.get(reverse("home")).status_code == 302  # signed out


def test_weak_passwords_are_refused(patient_client):
    response = patient_client.post(
        reverse("password_change"), {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"}
    )
    assert response.status_code == 200 and response.context["form"].errors["new_password2"]


# --- Headers and deployment checks ------------------------------------------------------------------


def test_responses_carry_csp_and_the_other_security_headers(patient_client):
    response = patient_client.get(reverse("home"))
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]


def test_no_template_has_inline_script_or_style():
    for path in (ROOT / "templates").rglob("*.html"):
        if "emails" in path.parts:
            continue  # e-mail clients need inline styles; no CSP applies there
        text = path.read_text()
        assert "<script>" not in text and "<script " not in text.replace("<script src=", ""), path
        assert ' style="' not in text and "<style" not in text, path


def test_production_settings_pass_check_deploy(tmp_path):
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "x" * 20 + "-production-grade-secret-key-for-the-check-only",
        "ALLOWED_HOSTS": "ivigtrack.example.org",
        "VAR_DIR": str(tmp_path),
        "DATABASE_URL": "sqlite:///" + str(tmp_path / "db.sqlite3"),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_real_secret_key(tmp_path):
    env = {**os.environ, "DEBUG": "false", "SECRET_KEY": "", "ALLOWED_HOSTS": "x.example", "VAR_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0 and "SECRET_KEY is not set" in result.stderr


# --- Atomic requests ----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_database_error_mid_request_shows_a_friendly_page_and_saves_nothing(patient):
    """A real failure half-way through a POST: the database refuses the second insert of a report."""
    infusion = InfusionFactory(patient=patient)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION test_boom() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'boom'; END; "
                "$$ LANGUAGE plpgsql"
            )
            cursor.execute(
                "CREATE TRIGGER test_boom BEFORE INSERT ON reactions_reportedsymptom "
                "FOR EACH ROW EXECUTE FUNCTION test_boom()"
            )
        else:
            cursor.execute(
                "CREATE TRIGGER test_boom BEFORE INSERT ON reactions_reportedsymptom "
                "BEGIN SELECT RAISE(ABORT, 'boom'); END"
            )
    try:
        client = Client(raise_request_exception=False)
        client.force_login(patient)
        response = client.post(
            reverse("report_create", args=[infusion.pk]),
            {"s_chest_pain": "on", "s_chest_pain_grade": "severe", "s_chest_pain_onset": "during"},
        )
        assert response.status_code == 500
        assert "Nothing you were sending was half-saved" in response.content.decode()
        assert not ReactionReport.objects.exists() and not Flag.objects.exists()
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("DROP TRIGGER test_boom ON reactions_reportedsymptom; DROP FUNCTION test_boom()")
            else:
                cursor.execute("DROP TRIGGER test_boom")


# --- Links ----------------------------------------------------------------------------------------------


def test_tampered_expired_and_replayed_links_are_refused_and_logged(patient, clinician, caplog, settings):
    invitation = services.accounts.invitation_create(
        clinic=clinician.clinic, email="n@example.test", full_name="", role="patient", invited_by=clinician
    )
    token = services.links.invitation_token(invitation=invitation)
    with caplog.at_level("INFO", logger="reactions.security"):
        Client().get(reverse("invitation_accept", args=[token[:-2] + "xx"]))
        services.accounts.invitation_accept(invitation=invitation, full_name="N", password="a-long-Passphrase-42")
        Client().get(reverse("invitation_accept", args=[token]))
        settings.FOLLOWUP_LINK_MAX_AGE = -1
        Client().get(reverse("followup_answer", args=["anything"]))
    messages = [r.getMessage() for r in caplog.records if r.name == "reactions.security"]
    assert any("bad signature" in m for m in messages)
    assert any("already used" in m for m in messages)
    assert any("follow-up" in m for m in messages)


# --- Audit trail ------------------------------------------------------------------------------------------


def test_clinician_views_and_changes_are_audited_with_who_what_when_where(clinician_client, clinician, patient):
    flag = make_report(infusion=InfusionFactory(patient=patient), symptoms=[("chest_pain", "severe")]).flags.get()
    clinician_client.get(reverse("clinic_patient_detail", args=[patient.pk]), REMOTE_ADDR="10.1.2.3")
    clinician_client.post(reverse("flag_action", args=[flag.pk, "note"]), {"note": "called"}, REMOTE_ADDR="10.1.2.3")
    events = list(AuditEvent.objects.order_by("pk").values_list("actor", "patient_ref", "action", "what", "ip_address"))
    assert (clinician.pk, patient.pk, "view", "timeline", "10.1.2.3") in events
    assert (clinician.pk, patient.pk, "change", f"flag {flag.pk}: note", "10.1.2.3") in events


@pytest.mark.parametrize("address", ["10.1.2.3", "2001:db8::7", None])
def test_audit_record_writes_one_full_row_per_patient(clinician, clinic, address):
    patients = PatientFactory.create_batch(3, clinic=clinic)
    before = timezone.now()
    written = services.audit.audit_record(
        actor=clinician,
        ip=address,
        action="view",
        what="x" * 250,
        patients=[patients[0], patients[1].pk, patients[2], patients[0].pk],
    )
    assert written == 3
    assert services.audit.audit_record(actor=clinician, ip=address, patients=[], action="view", what="nothing") == 0
    rows = list(AuditEvent.objects.order_by("patient_ref"))
    assert [row.patient_id for row in rows] == [row.patient_ref for row in rows] == sorted(p.pk for p in patients)
    for row in rows:
        assert row.actor_id == clinician.pk and row.clinic_id == clinician.clinic_id
        assert row.actor_label == f"{clinician.full_name} <{clinician.email}> (Clinician)"
        assert (row.action, row.what, row.ip_address) == ("view", "x" * 200, address)
        assert before <= row.created_at <= timezone.now() and row.created_at == rows[0].created_at


def test_an_export_of_many_patients_records_each_of_them(clinician, clinic):
    patients = PatientFactory.create_batch(1200, clinic=clinic, password=None)
    assert services.audit.audit_record(actor=clinician, ip=None, patients=patients, action="export", what="CSV") == 1200
    assert sorted(AuditEvent.objects.values_list("patient_ref", flat=True)) == sorted(p.pk for p in patients)


def test_the_audit_trail_is_append_only(clinician_client, patient):
    clinician_client.get(reverse("clinic_patient_detail", args=[patient.pk]))
    event = AuditEvent.objects.get()
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().update(what="x")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    if connection.vendor == "postgresql":  # the database itself refuses too
        with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE reactions_auditevent SET what = 'x'")


def test_patients_see_who_looked_and_admins_browse_and_export(
    login, clinician_client, clinician, clinic_admin, patient
):
    clinician_client.get(reverse("clinic_patient_detail", args=[patient.pk]))
    page = login(patient).get(reverse("my_access_log")).content.decode()
    assert clinician.full_name in page and "timeline" in page
    admin = login(clinic_admin)
    assert clinician.email in admin.get(reverse("clinic_audit")).content.decode()
    csv_text = admin.get(reverse("clinic_audit_csv"), {"patient": patient.pk}).content.decode()
    assert csv_text.splitlines()[0] == "when,who,action,patient_id,what,ip_address"
    assert f",view,{patient.pk},timeline," in csv_text


def test_a_patients_access_log_shows_repeats_in_a_row_as_one_line(login, clinician, clinic, patient, rf):
    # The triage queue reloads itself every minute: 30 views in a row, a timeline view by a colleague, 5 more.
    colleague = ClinicianFactory(clinic=clinic, full_name="Dr Ines Navarro")

    def record(by, what, times):
        for _ in range(times):
            services.audit.audit_record(actor=by, ip=None, patients=[patient], action="view", what=what)

    record(clinician, "triage queue", 30)
    record(colleague, "timeline", 1)
    record(clinician, "triage queue", 5)
    runs = selectors.audit.audit_runs(AuditEvent.objects.filter(patient_ref=patient.pk))
    assert [(run.latest.actor_id, run.latest.what, run.count) for run in runs] == [
        (clinician.pk, "triage queue", 5),
        (colleague.pk, "timeline", 1),
        (clinician.pk, "triage queue", 30),
    ]
    assert runs[0].earliest_at < runs[0].latest.created_at and runs[1].earliest_at == runs[1].latest.created_at
    client = login(patient)
    page = client.get(reverse("my_access_log")).content.decode()
    assert page.count("<tr><td>") == 3
    assert "30 times, from " in page and "5 times, from " in page and "Dr Ines Navarro" in page
    assert "30 veces, del " in client.get(reverse("my_access_log"), HTTP_ACCEPT_LANGUAGE="es").content.decode()


def test_a_patients_access_log_pages_back_to_the_first_event(login, clinician, patient, rf, monkeypatch):
    from reactions.views import privacy

    monkeypatch.setattr(privacy, "ACCESS_LOG_EVENTS_PER_PAGE", 3)
    for what in ["timeline", "flag 1", "printable summary", "FHIR bundle", "timeline"]:
        services.audit.audit_record(actor=clinician, ip=None, patients=[patient], action="view", what=what)
    client = login(patient)
    first = client.get(reverse("my_access_log")).content.decode()
    assert "Page 1 of 2" in first and "FHIR bundle" in first and "flag 1" not in first
    second = client.get(reverse("my_access_log"), {"page": 2}).content.decode()
    assert "flag 1" in second and "Page 2 of 2" in second


# --- Account deletion --------------------------------------------------------------------------------------


def test_a_patient_asks_a_clinic_admin_confirms_and_the_data_is_gone(login, clinic_admin, clinician, patient):
    original_name = patient.full_name
    infusion = InfusionFactory(patient=patient)
    make_report(infusion=infusion, symptoms=[("chest_pain", "severe")])
    engine.dispatcher.dispatch_due()  # the alert e-mail names the patient
    assert OutboundEmail.objects.exists()
    clinician_client = login(clinician)
    clinician_client.get(reverse("clinic_patient_detail", args=[patient.pk]))

    patient_client = login(patient)
    wrong = patient_client.post(reverse("my_deletion_request"), {"password": "nope"})
    assert "not your password" in wrong.content.decode() and not DeletionRequest.objects.exists()
    patient_client.post(reverse("my_deletion_request"), {"password": PASSWORD, "reason": "moving away"})
    request = DeletionRequest.objects.get()

    assert login(clinician).post(reverse("clinic_deletions"), {"request_id": request.pk}).status_code == 404
    login(clinic_admin).post(reverse("clinic_deletions"), {"request_id": request.pk})

    patient.refresh_from_db()
    assert not patient.is_active and patient.full_name == "Deleted patient" and "@deleted.invalid" in patient.email
    assert not patient.has_usable_password()
    assert not Infusion.objects.filter(patient=patient).exists()
    assert not ReactionReport.objects.filter(patient=patient).exists() and not Flag.objects.exists()
    # The alert that named the patient is gone; a clinic's daily digest (counts only) may stay.
    assert not OutboundEmail.objects.exclude(kind=OutboundEmail.Kind.DAILY_DIGEST).exists()
    assert not OutboundEmail.objects.filter(subject__icontains=original_name).exists()
    # The audit trail keeps who accessed the record and when, under the patient's id only.
    kept = AuditEvent.objects.filter(patient_ref=patient.pk)
    assert kept.filter(action="view").exists() and kept.filter(action="delete").exists()
    assert patient_client.get(reverse("home")).status_code == 302  # signed out for good


def test_every_post_needs_the_csrf_token(patient):
    client = Client(enforce_csrf_checks=True)
    client.force_login(patient)
    response = client.post(reverse("infusion_create"), {"status": "given"})
    assert response.status_code == 403 and "Nothing was saved" in response.content.decode()
    assert not Infusion.objects.exists()
    anonymous = Client(enforce_csrf_checks=True)
    assert anonymous.post(reverse("login"), {"username": patient.email, "password": PASSWORD}).status_code == 403
