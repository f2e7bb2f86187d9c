"""Caregivers through the web: invited by the patient, accepted, scoped to that patient, removed, logged."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reactions import engine, services
from reactions.models import (
    AuditEvent,
    CaregiverInvitation,
    CareLink,
    Flag,
    Infusion,
    OutboundEmail,
    ReactionReport,
    User,
)
from tests.conftest import _client_for
from tests.factories import CaregiverFactory, ClinicianFactory, InfusionFactory, PatientFactory, make_caregiver
from tests.views.test_patient_flows import _infusion_post

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-Passphrase-42"


def _path(link: str) -> str:
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


def _invite(patient_client, email: str = "Carer@Example.test", name: str = "Chris Carer") -> str:
    """The patient invites from their profile; the path of the e-mailed link."""
    response = patient_client.post(reverse("my_caregivers"), {"full_name": name, "email": email})
    assert response.status_code == 302
    engine.delivery.email_deliver()
    message = mail.outbox[-1]
    return _path(next(word for word in message.body.split() if "/care/invitation/" in word))


def test_the_invitation_email_names_no_patient_in_its_subject_and_only_their_first_name(patient_client, patient):
    patient.full_name = "Alexandra Smith-Jones"
    patient.save()
    _invite(patient_client)
    (message,) = mail.outbox
    assert message.to == ["carer@example.test"]
    assert message.subject == "An invitation to help with follow-up questions"
    assert "Alexandra invites you" in message.body
    assert "Smith-Jones" not in message.body + message.subject
    assert OutboundEmail.objects.get().kind == OutboundEmail.Kind.CAREGIVER_INVITATION


def test_a_new_caregiver_accepts_sets_a_password_and_sees_only_that_patient(patient_client, patient):
    path = _invite(patient_client)
    anonymous = Client()
    page = anonymous.get(path)
    assert page.status_code == 200 and "Create my account and accept" in page.content.decode()
    assert CaregiverInvitation.objects.get().accepted_at is None  # a mail scanner's GET uses nothing up

    joined = anonymous.post(path, {"full_name": "Chris Carer", "password1": PASSWORD, "password2": PASSWORD})
    assert joined.status_code == 302 and joined.url == reverse("home")
    caregiver = User.objects.get(email="carer@example.test")
    assert (caregiver.role, caregiver.clinic, caregiver.is_clinic_staff) == (User.Role.CAREGIVER, None, False)
    assert CareLink.objects.active().get().patient == patient

    home = anonymous.get(reverse("home"))
    assert home.status_code == 200
    first_name = patient.get_short_name()
    assert f"You are helping {first_name}" in home.content.decode()
    # Not the patient's account pages, nor the clinic's.
    for name in ("profile", "my_access_log", "my_data_json", "my_deletion_request", "clinic_flags"):
        assert anonymous.get(reverse(name)).status_code == 404, name

    again = Client().get(path)
    assert again.status_code == 400 and "already been used" in again.content.decode()


def test_an_existing_caregiver_signs_in_then_accepts(patient_client, patient):
    other_patient = PatientFactory(clinic=patient.clinic)
    caregiver, _link = make_caregiver(other_patient, email="carer@example.test")
    path = _invite(patient_client)
    page = Client().get(path).content.decode()
    assert "already have an ivigtrack account" in page
    assert f'href="{reverse("login")}?next=/care/invitation/' in page  # back here once signed in

    client = _client_for(caregiver)
    assert "Accept and help" in client.get(path).content.decode()
    assert client.post(path).status_code == 302
    assert set(CareLink.objects.active().filter(caregiver=caregiver).values_list("patient", flat=True)) == {
        patient.pk,
        other_patient.pk,
    }
    # Helping two people: the banner names the one chosen; the caregiver page switches.
    assert f"You are helping {patient.get_short_name()}" in client.get(reverse("home")).content.decode()
    other_link = CareLink.objects.get(patient=other_patient)
    client.post(reverse("care_choose", args=[other_link.pk]))
    assert f"You are helping {other_patient.get_short_name()}" in client.get(reverse("home")).content.decode()


def test_a_patient_or_staff_address_cannot_become_a_caregiver(patient_client, patient):
    someone = PatientFactory(clinic=patient.clinic, email="carer@example.test")
    path = _invite(patient_client)
    client = _client_for(someone)
    page = client.get(path).content.decode()
    assert "cannot be a caregiver" in page
    client.post(path)
    assert not CareLink.objects.exists() and CaregiverInvitation.objects.get().accepted_at is None


def test_expired_and_withdrawn_invitations_do_not_work(patient_client, patient, settings):
    path = _invite(patient_client)
    invitation = CaregiverInvitation.objects.get()
    patient_client.post(reverse("my_caregiver_invitation_withdraw", args=[invitation.pk]))
    assert Client().get(path).status_code == 400
    path = _invite(patient_client, email="second@example.test")
    settings.INVITATION_MAX_AGE = -1
    response = Client().get(path)
    assert response.status_code == 400 and "expired" in response.content.decode()


@pytest.fixture
def helped(patient):
    caregiver, link = make_caregiver(patient, full_name="Chris Carer")
    return caregiver, link, _client_for(caregiver)


def test_a_caregivers_report_says_who_reported_and_is_triaged_like_the_patients(patient, patient_client, helped, login):
    caregiver, _link, client = helped
    infusion = InfusionFactory(patient=patient)
    response = client.post(
        reverse("report_create", args=[infusion.pk]),
        {"s_breathing_trouble": "on", "s_breathing_trouble_grade": "mild", "s_breathing_trouble_onset": "1_6h"},
        follow=True,
    )
    page = response.content.decode()
    assert "Call 999 now" in page  # the caregiver is told to call, as the patient would be
    report = ReactionReport.objects.get()
    assert (report.patient, report.source, report.entered_by) == (patient, "caregiver_app", caregiver)
    flag = Flag.objects.get(kind=Flag.Kind.SEVERE_EVENT)
    assert (flag.patient, report.tier) == (patient, "emergency")

    said = "Reported by Chris Carer (caregiver)"
    assert said in patient_client.get(reverse("report_detail", args=[report.pk])).content.decode()
    assert said in patient_client.get(reverse("home")).content.decode()
    assert said in patient_client.get(reverse("infusion_detail", args=[infusion.pk])).content.decode()
    clinician = login(ClinicianFactory(clinic=patient.clinic))
    assert said in clinician.get(reverse("flag_detail", args=[flag.pk])).content.decode()
    assert said in clinician.get(reverse("clinic_patient_detail", args=[patient.pk])).content.decode()


def test_a_caregiver_logs_an_infusion_for_the_patient(patient, helped):
    caregiver, _link, client = helped
    response = client.post(reverse("infusion_create"), _infusion_post(patient))
    infusion = Infusion.objects.get()
    assert response.status_code == 302 and response.url == reverse("infusion_detail", args=[infusion.pk])
    assert (infusion.patient, infusion.logged_by) == (patient, caregiver)
    # The patient's follow-ups, as always: the clinic's six, and +6 h and +48 h for a first infusion.
    assert infusion.followups.filter(kind="prompt").count() == 8
    page = client.get(reverse("infusion_detail", args=[infusion.pk])).content.decode()
    assert reverse("infusion_edit", args=[infusion.pk]) in page
    assert reverse("infusion_delete", args=[infusion.pk]) not in page  # the patient's own decision
    # The home page asks the caregiver about the patient, not about themselves.
    home = client.get(reverse("home")).content.decode()
    assert f"How is {patient.get_short_name()} since the infusion on" in home
    assert f"{patient.get_short_name()}'s infusions" in home and "Your infusions" not in home
    assert "How are you since your infusion" not in home


def test_removing_a_caregiver_ends_their_access_at_once_even_in_an_open_session(patient, patient_client, helped):
    _caregiver, link, client = helped
    infusion = InfusionFactory(patient=patient)
    assert client.get(reverse("infusion_detail", args=[infusion.pk])).status_code == 200
    confirm = patient_client.get(reverse("my_caregiver_remove", args=[link.pk]))
    assert confirm.status_code == 200 and "Remove caregiver" in confirm.content.decode()
    assert CareLink.objects.active().exists()  # a GET removes nobody
    assert patient_client.post(reverse("my_caregiver_remove", args=[link.pk])).status_code == 302

    # The same session, the next request: no longer the patient's pages.
    for name, args in (("home", []), ("infusion_detail", [infusion.pk]), ("report_create", [infusion.pk])):
        response = client.get(reverse(name, args=args))
        assert response.status_code == 302 and response.url == reverse("care_home"), name
    assert "You do not help anyone" in client.get(reverse("care_home")).content.decode()
    link.refresh_from_db()
    assert link.removed_by == patient and link.removed_at is not None


def test_a_caregiver_can_step_down(patient, helped):
    _caregiver, link, client = helped
    assert client.get(reverse("care_step_down", args=[link.pk])).status_code == 200
    client.post(reverse("care_step_down", args=[link.pk]))
    assert not CareLink.objects.active().exists()
    assert client.get(reverse("home")).url == reverse("care_home")


def test_a_caregiver_may_stop_getting_the_prompts(helped):
    _caregiver, link, client = helped
    client.post(reverse("care_prompts", args=[link.pk]), {})
    link.refresh_from_db()
    assert link.receives_prompts is False


def test_everything_a_caregiver_sees_is_in_the_patients_access_log(patient, patient_client, helped):
    caregiver, _link, client = helped
    infusion = InfusionFactory(patient=patient)
    report = services.reports.report_create(infusion=infusion, symptoms=[], notes="tired")
    client.get(reverse("home"))
    client.get(reverse("report_detail", args=[report.pk]))
    client.get(reverse("my_summary"))
    events = AuditEvent.objects.filter(patient_ref=patient.pk, actor=caregiver)
    assert sorted(events.values_list("what", flat=True)) == [
        "a report (as caregiver)",
        "home page (as caregiver)",
        "printable summary (as caregiver)",
    ]
    assert set(events.values_list("clinic", flat=True)) == {patient.clinic_id}  # the clinic's admins see it too
    log = patient_client.get(reverse("my_access_log")).content.decode()
    assert "Chris Carer" in log and "(Caregiver)" in log and "a report (as caregiver)" in log


def test_a_caregiver_never_reaches_another_patients_records(patient, helped):
    _caregiver, _link, client = helped
    stranger_infusion = InfusionFactory(patient=PatientFactory(clinic=patient.clinic))
    for name in ("infusion_detail", "infusion_edit", "report_create"):
        assert client.get(reverse(name, args=[stranger_infusion.pk])).status_code == 404, name
    assert not AuditEvent.objects.filter(patient_ref=stranger_infusion.patient_id).exists()


def test_a_caregiver_account_has_no_clinic_and_a_staff_invite_cannot_make_one(clinic, clinic_admin, login):
    caregiver = CaregiverFactory()
    assert caregiver.clinic is None and not caregiver.is_clinic_staff
    client = login(clinic_admin)
    page = client.get(reverse("invitation_create")).content.decode()
    assert 'value="caregiver"' not in page
    response = client.post(
        reverse("invitation_create"), {"email": "c@example.test", "full_name": "C", "role": "caregiver"}
    )
    assert response.status_code == 200 and not User.objects.filter(email="c@example.test").exists()


def test_a_removed_caregivers_emailed_prompt_link_stops_working(patient, helped):
    caregiver, link, _client = helped
    infusion = InfusionFactory(patient=patient, started_at=timezone.now() - timedelta(hours=5))
    followup = infusion.followups.create(patient=patient, offset_hours=2, due_at=infusion.ended_at, status="prompted")
    token = services.links.followup_token(followup=followup, recipient=caregiver)
    assert Client().get(reverse("followup_report", args=[token])).status_code == 200
    services.caregivers.care_link_remove(link=link, by=patient)
    assert Client().get(reverse("followup_report", args=[token])).status_code == 400
    assert Client().post(reverse("followup_answer", args=[token])).status_code == 400
    followup.refresh_from_db()
    assert followup.status == "prompted"


def test_a_caregiver_chooses_texts_for_their_own_copies_on_their_account_page(patient, helped):
    caregiver, _link, client = helped
    page = client.get(reverse("care_account")).content.decode()
    assert "Your mobile number" in page and "How we send your follow-up messages" in page
    assert "Notifications" in page and 'src="/static/js/push.js"' in page
    assert patient.full_name not in page  # their own account: nothing of the patient's

    # Texts need a mobile number first.
    refused = client.post(reverse("care_account"), {"channels": "1", "notify_email": "on", "notify_sms": "on"})
    assert refused.status_code == 200 and "Add your mobile number" in refused.content.decode()
    assert client.post(reverse("care_account"), {"phone": "07400 654321"}).status_code == 302
    saved = client.post(reverse("care_account"), {"channels": "1", "notify_sms": "on"})
    assert saved.status_code == 302 and saved.url == reverse("care_account")
    caregiver.refresh_from_db()
    patient.refresh_from_db()
    assert (str(caregiver.phone), caregiver.notify_email, caregiver.notify_sms) == ("+447400654321", False, True)
    assert (patient.notify_email, patient.notify_sms) == (True, False)  # the patient's own choice is untouched
    assert "Text message" in client.get(reverse("care_home")).content.decode()


def test_a_caregivers_account_page_says_when_they_texted_stop(helped):
    caregiver, _link, client = helped
    caregiver.phone, caregiver.notify_sms, caregiver.sms_stopped_at = "+447400654321", True, timezone.now()
    caregiver.save()
    page = client.get(reverse("care_account")).content.decode()
    assert "You replied STOP to our texts" in page


def test_a_removed_caregivers_emailed_check_in_link_stops_working(patient, helped):
    caregiver, link, _client = helped
    planned = services.infusions.infusion_create(
        patient=patient,
        logged_by=patient,
        status="planned",
        started_at=timezone.now() + timedelta(hours=23),
        ended_at=None,
        product="privigen",
    )
    checkin = planned.followups.get(kind="pre_infusion")
    token = services.links.checkin_token(followup=checkin, recipient=caregiver)
    page = Client().get(reverse("checkin_answer", args=[token])).content.decode()
    assert f"You are helping {patient.get_short_name()}" in page
    assert f"{patient.get_short_name()}'s next infusion is planned for" in page and "Your next infusion" not in page
    services.caregivers.care_link_remove(link=link, by=patient)
    assert Client().get(reverse("checkin_answer", args=[token])).status_code == 400
    assert Client().post(reverse("checkin_answer", args=[token]), {"answer": "all_well"}).status_code == 400
    checkin.refresh_from_db()
    assert checkin.answer == ""
