"""The patient's side end to end through the web: invitation, infusions, reports, urgent care."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reactions import engine, selectors, services
from reactions.models import Flag, Infusion, Invitation, ReactionReport, User
from tests.factories import InfusionFactory, make_report

pytestmark = pytest.mark.django_db


def _local(dt, user) -> str:
    return timezone.localtime(dt, user.tzinfo).strftime("%Y-%m-%dT%H:%M")


def _infusion_post(patient, **overrides) -> dict:
    now = timezone.now()
    data = {
        "status": "given",
        "started_at": _local(now - timedelta(hours=4), patient),
        "ended_at": _local(now - timedelta(hours=1), patient),
        "product": "privigen",
        "product_other": "",
        "lot_number": "p100234",
        "dose_grams": "35",
        "setting": "clinic",
        "premedication": "paracetamol 1 g",
        "pre_hydrated": "True",
        "notes": "",
    }
    data.update(overrides)
    return data


# --- Invitation ---------------------------------------------------------------------------------


def test_a_clinician_invites_and_the_patient_joins_with_the_emailed_link(
    clinician_client, clinic, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = clinician_client.post(
            reverse("invitation_create"), {"email": "New@Example.test", "full_name": "Nia New", "role": "patient"}
        )
    assert response.status_code == 302 and len(callbacks) == 1  # its delivery task leaves on commit
    listed = clinician_client.get(reverse("invitation_create")).content.decode()
    assert "E-mail on its way" in listed and "Pass the link on another way" in listed  # until it is delivered
    engine.delivery.email_deliver()  # what that task does
    assert "E-mail delivered" in clinician_client.get(reverse("invitation_create")).content.decode()
    (message,) = mail.outbox
    assert message.to == ["new@example.test"] and clinic.name in message.subject
    link = next(word for word in message.body.split() if "/invitation/" in word)
    path = link.split("testserver", 1)[-1] if "testserver" in link else link.split("8000", 1)[-1]

    anonymous = Client()
    page = anonymous.get(path)
    assert page.status_code == 200 and "Choose a password" in page.content.decode()
    assert Invitation.objects.get().accepted_at is None  # opening the link uses nothing up

    joined = anonymous.post(
        path, {"full_name": "Nia New", "password1": "a-long-Passphrase-42", "password2": "a-long-Passphrase-42"}
    )
    assert joined.status_code == 302 and joined.url == reverse("home")
    user = User.objects.get(email="new@example.test")
    assert (user.role, user.clinic) == (User.Role.PATIENT, clinic)
    assert anonymous.get(reverse("home")).status_code == 200  # signed in

    again = Client().get(path)
    assert again.status_code == 400 and "already been used" in again.content.decode()


@pytest.mark.parametrize("mangle", [lambda t: t[:-3] + "abc", lambda t: "garbage", lambda t: t + "x"])
def test_tampered_invitation_links_get_a_clear_page_not_an_error(clinic, clinician, mangle):
    invitation = services.accounts.invitation_create(
        clinic=clinic, email="x@example.test", full_name="", role="patient", invited_by=clinician
    )
    token = mangle(services.links.invitation_token(invitation=invitation))
    response = Client().get(reverse("invitation_accept", args=[token]))
    assert response.status_code == 400 and "not valid" in response.content.decode()


def test_expired_invitation_links_say_so(clinic, clinician, settings):
    invitation = services.accounts.invitation_create(
        clinic=clinic, email="x@example.test", full_name="", role="patient", invited_by=clinician
    )
    settings.INVITATION_MAX_AGE = -1
    response = Client().post(
        reverse("invitation_accept", args=[services.links.invitation_token(invitation=invitation)]),
        {"full_name": "X", "password1": "a-long-Passphrase-42", "password2": "a-long-Passphrase-42"},
    )
    assert response.status_code == 400 and "expired" in response.content.decode()
    assert not User.objects.filter(email="x@example.test").exists()


def test_invitation_form_refuses_existing_accounts_and_clinicians_cannot_invite_staff(clinician_client, patient):
    response = clinician_client.post(
        reverse("invitation_create"), {"email": patient.email.upper(), "full_name": "P", "role": "patient"}
    )
    assert "already has an account" in response.context["form"].errors["email"][0]
    response = clinician_client.post(
        reverse("invitation_create"), {"email": "doc@example.test", "full_name": "D", "role": "clinician"}
    )
    assert "role" in response.context["form"].errors
    assert not Invitation.objects.exists()


def test_a_clinic_admin_can_invite_a_clinician(login, clinic_admin):
    response = login(clinic_admin).post(
        reverse("invitation_create"), {"email": "doc@example.test", "full_name": "D", "role": "clinician"}
    )
    assert response.status_code == 302
    assert Invitation.objects.get().role == User.Role.CLINICIAN


# --- Infusions -----------------------------------------------------------------------------------


def test_log_an_infusion(patient_client, patient):
    response = patient_client.post(reverse("infusion_create"), _infusion_post(patient))
    infusion = Infusion.objects.get()
    assert response.status_code == 302 and response.url == reverse("infusion_detail", args=[infusion.pk])
    assert (infusion.patient, infusion.lot_number, infusion.pre_hydrated) == (patient, "P100234", True)
    # The clinic's six prompts, and +6 h and +48 h for a first infusion.
    assert infusion.followups.filter(kind="prompt").count() == 8


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"ended_at": "2020-01-01T10:00"}, "ended_at", "after the start"),
        ({"started_at": "2099-01-01T10:00", "ended_at": ""}, "started_at", "cannot start in the future"),
        ({"dose_grams": "900"}, "dose_grams", "plausible range"),
        ({"dose_grams": "0.2"}, "dose_grams", "plausible range"),
        ({"lot_number": "P1\x07"}, "lot_number", "letters, digits"),
        ({"lot_number": "<script>"}, "lot_number", "letters, digits"),
        ({"notes": "hi\x07there"}, "notes", "control characters"),
        ({"product": "other", "product_other": ""}, "product_other", "name of the product"),
        ({"started_at": "1999-01-01T10:00", "ended_at": "1999-01-01T12:00"}, "started_at", "five years"),
        ({"status": "planned", "started_at": "2099-01-01T10:00", "ended_at": ""}, "started_at", "a year ahead"),
        ({"started_at": "not a date"}, "started_at", "valid date"),
    ],
)
def test_infusion_form_rejects_nonsense_at_the_field(patient_client, patient, overrides, field, message):
    response = patient_client.post(reverse("infusion_create"), _infusion_post(patient, **overrides))
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors.get(field, []))
    assert message in errors, response.context["form"].errors
    assert not Infusion.objects.exists()


def test_infusion_durations_must_be_plausible(patient_client, patient):
    now = timezone.now()
    short = _infusion_post(
        patient,
        started_at=_local(now - timedelta(hours=1), patient),
        ended_at=_local(now - timedelta(minutes=55), patient),
    )
    assert (
        "under 15 minutes"
        in patient_client.post(reverse("infusion_create"), short).context["form"].errors["ended_at"][0]
    )
    long = _infusion_post(
        patient,
        started_at=_local(now - timedelta(hours=20), patient),
        ended_at=_local(now - timedelta(hours=1), patient),
    )
    assert (
        "longer than 12 hours"
        in patient_client.post(reverse("infusion_create"), long).context["form"].errors["ended_at"][0]
    )


def test_edit_and_delete_an_infusion_but_never_one_with_reports(patient_client, patient):
    infusion = InfusionFactory(patient=patient)
    response = patient_client.post(
        reverse("infusion_edit", args=[infusion.pk]), _infusion_post(patient, lot_number="Z9")
    )
    assert response.status_code == 302
    infusion.refresh_from_db()
    assert infusion.lot_number == "Z9"
    make_report(infusion=infusion, symptoms=[("fatigue", "mild")])
    patient_client.post(reverse("infusion_delete", args=[infusion.pk]))
    assert Infusion.objects.filter(pk=infusion.pk).exists()
    bare = InfusionFactory(patient=patient)
    assert patient_client.post(reverse("infusion_delete", args=[bare.pk])).status_code == 302
    assert not Infusion.objects.filter(pk=bare.pk).exists()


# --- Reports ------------------------------------------------------------------------------------


def _report_post(**fields) -> dict:
    return {"notes": "", **fields}


def test_report_mild_symptoms(patient_client, patient):
    infusion = InfusionFactory(patient=patient)
    response = patient_client.post(
        reverse("report_create", args=[infusion.pk]),
        _report_post(
            s_headache="on",
            s_headache_grade="moderate",
            s_headache_onset="1_6h",
            s_fatigue="on",
            s_fatigue_grade="mild",
            s_fatigue_onset="within_1h",
            s_fatigue_ongoing="on",
        ),
    )
    report = ReactionReport.objects.get()
    assert response.status_code == 302 and response.url == reverse("report_detail", args=[report.pk])
    assert sorted(report.symptoms.values_list("code", "grade", "ongoing")) == [
        ("fatigue", "mild", True),
        ("headache", "moderate", False),
    ]
    assert not report.flags.exists()
    page = patient_client.get(response.url).content.decode()
    assert "Call 999 now" not in page and "Call your clinic now" not in page


def test_a_warning_sign_shows_the_urgent_care_message_with_the_clinic_phone(patient_client, patient):
    infusion = InfusionFactory(patient=patient)
    response = patient_client.post(
        reverse("report_create", args=[infusion.pk]),
        _report_post(s_breathing_trouble="on", s_breathing_trouble_grade="mild", s_breathing_trouble_onset="1_6h"),
        follow=True,
    )
    page = response.content.decode()
    # An emergency: one number, the emergency number of the clinic's country, never "or your clinic".
    assert "Call 999 now" in page and 'href="tel:999"' in page
    assert f'href="tel:{patient.clinic.out_of_hours_phone}"' not in page
    assert "does not replace emergency services" in page
    assert 'role="alert"' in page
    flag = Flag.objects.get()
    assert (flag.kind, flag.clinic, flag.patient) == (Flag.Kind.SEVERE_EVENT, patient.clinic, patient)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"s_headache": "on", "s_headache_onset": "1_6h"}, "s_headache_grade", "how bad"),
        ({"s_headache": "on", "s_headache_grade": "mild"}, "s_headache_onset", "when it started"),
        (
            {"s_headache": "on", "s_headache_grade": "mild", "s_headache_onset": "3_7d"},
            "s_headache_onset",
            "later than now",
        ),
        ({}, "notes", "at least one symptom"),
        ({"notes": "bad\x1b[31m"}, "notes", "control characters"),
        (
            {"s_headache": "on", "s_headache_grade": "apocalyptic", "s_headache_onset": "1_6h"},
            "s_headache_grade",
            "valid choice",
        ),
    ],
)
def test_report_form_rejects_nonsense_at_the_field(patient_client, patient, data, field, message):
    infusion = InfusionFactory(patient=patient)
    response = patient_client.post(reverse("report_create", args=[infusion.pk]), _report_post(**data))
    assert response.status_code == 200
    assert message.lower() in " ".join(response.context["form"].errors.get(field, [])).lower()
    assert not ReactionReport.objects.exists() and not Flag.objects.exists()


def test_no_report_for_an_infusion_that_has_not_started(patient_client, patient):
    future = InfusionFactory(patient=patient, status="planned", started_at=timezone.now() + timedelta(days=2))
    response = patient_client.post(
        reverse("report_create", args=[future.pk]),
        _report_post(s_fever="on", s_fever_grade="mild", s_fever_onset="during"),
    )
    assert response.status_code == 302
    assert not ReactionReport.objects.exists()


def test_report_and_its_flags_are_saved_in_one_transaction(patient):
    infusion = InfusionFactory(patient=patient)
    duplicate = [services.reports.SymptomEntry("chest_pain", "severe", "during")] * 2  # violates one-symptom-per-report
    with pytest.raises(Exception):  # noqa: B017 - the database refuses it; what matters is what is left
        services.reports.report_create(infusion=infusion, symptoms=duplicate)
    assert not ReactionReport.objects.exists() and not Flag.objects.exists()


# --- Home --------------------------------------------------------------------------------------


def test_home_shows_the_next_useful_action_and_the_timeline(patient_client, patient):
    assert "Log an infusion" in patient_client.get(reverse("home")).content.decode()
    given = InfusionFactory(patient=patient)
    make_report(infusion=given, symptoms=[("headache", "mild")])
    InfusionFactory(patient=patient, status="planned", started_at=timezone.now() + timedelta(days=20), ended_at=None)
    page = patient_client.get(reverse("home")).content.decode()
    assert "How are you since your infusion" in page
    assert "Next planned infusion" in page and "drink plenty of fluids" in page.lower()
    assert "Headache (mild)" in page


def test_a_planned_infusion_whose_time_has_come_asks_to_be_logged(patient_client, patient):
    planned = InfusionFactory(
        patient=patient, status="planned", started_at=timezone.now() - timedelta(hours=1), ended_at=None
    )
    action = selectors.patient_home.patient_next_action(patient=patient)
    assert (action.kind, action.infusion) == (selectors.patient_home.NextAction.CONFIRM_PLANNED, planned)
    assert reverse("infusion_edit", args=[planned.pk]) in patient_client.get(reverse("home")).content.decode()


def test_a_clinician_sees_their_clinics_flags_and_acknowledges_one(clinician_client, clinician, patient):
    flag = make_report(infusion=InfusionFactory(patient=patient), symptoms=[("chest_pain", "severe")]).flags.get()
    page = clinician_client.get(reverse("flag_detail", args=[flag.pk])).content.decode()
    assert patient.full_name in page and "Chest pain (suspected MI or PE)" in page
    response = clinician_client.post(reverse("flag_action", args=[flag.pk, "acknowledge"]), {"note": "Sent to A&E"})
    assert response.status_code == 302
    flag.refresh_from_db()
    assert (flag.status, flag.acknowledged_by, flag.acknowledgement_note) == ("acknowledged", clinician, "Sent to A&E")


def test_a_planned_infusion_due_today_comes_before_asking_about_a_recent_one(patient):
    InfusionFactory(patient=patient, started_at=timezone.now() - timedelta(days=3))
    assert (
        selectors.patient_home.patient_next_action(patient=patient).kind
        == selectors.patient_home.NextAction.HOW_ARE_YOU
    )
    planned = InfusionFactory(
        patient=patient, status="planned", started_at=timezone.now() - timedelta(hours=2), ended_at=None
    )
    InfusionFactory(patient=patient, status="planned", started_at=timezone.now() + timedelta(days=30), ended_at=None)
    action = selectors.patient_home.patient_next_action(patient=patient)
    assert (action.kind, action.infusion) == (selectors.patient_home.NextAction.CONFIRM_PLANNED, planned)


def test_a_planned_infusion_offers_no_report_until_it_has_started(patient_client, patient):
    start = timezone.now() + timedelta(days=3)
    planned = InfusionFactory(patient=patient, status=Infusion.Status.PLANNED, started_at=start, ended_at=None)
    page = patient_client.get(reverse("infusion_detail", args=[planned.pk])).content.decode()
    assert reverse("report_create", args=[planned.pk]) not in page
    given = InfusionFactory(patient=patient)
    page = patient_client.get(reverse("infusion_detail", args=[given.pk])).content.decode()
    assert reverse("report_create", args=[given.pk]) in page
