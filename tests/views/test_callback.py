"""Calling the patient back: their phone number, the flag page's call button, recording the contact."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from html.parser import HTMLParser

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reactions import services
from reactions.models import AuditEvent, Flag, FlagEvent, Invitation, User
from tests.conftest import _client_for
from tests.factories import ClinicianFactory, InfusionFactory, make_report, make_severe_flag

pytestmark = pytest.mark.django_db


def _contact(client: Client, flag: Flag, note: str = "") -> int:
    return client.post(reverse("flag_action", args=[flag.pk, "contact"]), {"note": note}).status_code


# --- The call button on the flag page -------------------------------------------------------------


def test_the_flag_page_offers_a_big_call_button_dialling_e164_and_showing_the_national_format(
    clinician_client, patient
):
    patient.full_name, patient.phone = "Jo Chen", "07700 900303"
    patient.save()
    page = clinician_client.get(
        reverse("flag_detail", args=[make_severe_flag(infusion=InfusionFactory(patient=patient)).pk])
    )
    html = page.content.decode()
    assert 'href="tel:+447700900303"' in html
    assert "Call Jo Chen" in html and "07700 900303" in html
    assert "No phone number on file" not in html


def test_a_number_from_abroad_is_shown_in_international_format(clinician_client, patient):
    patient.phone = "+34 612 345 678"
    patient.save()
    html = clinician_client.get(
        reverse("flag_detail", args=[make_severe_flag(infusion=InfusionFactory(patient=patient)).pk])
    ).content.decode()
    assert 'href="tel:+34612345678"' in html and "+34 612 34 56 78" in html


def test_without_a_number_the_flag_page_says_so_and_links_to_where_staff_add_one(clinician_client, patient):
    flag = make_severe_flag(infusion=InfusionFactory(patient=patient))
    html = clinician_client.get(reverse("flag_detail", args=[flag.pk])).content.decode()
    assert "No phone number on file" in html and "tel:" not in html.replace(
        f"tel:{patient.clinic.out_of_hours_phone}", ""
    )
    assert f'href="{reverse("clinic_patient_detail", args=[patient.pk])}#phone-title"' in html


def test_the_seeded_drama_numbers_show_and_dial_although_libphonenumber_calls_them_invalid(clinician_client, patient):
    User.objects.filter(pk=patient.pk).update(phone="+447700900101")
    patient.refresh_from_db()
    assert not patient.phone.is_valid()
    assert (patient.phone_dial, patient.phone_display) == ("+447700900101", "07700 900101")
    # A change of something else is not refused because of the stored number.
    services.accounts.user_set_language(user=patient, language="es")
    services.accounts.patient_update_details(patient=patient, indication=User.Indication.RELAPSE)


# --- "Contacted the patient" -------------------------------------------------------------------------


def test_contacting_records_the_first_contact_acknowledges_the_open_flag_and_audits_it(
    clinician_client, clinician, patient
):
    flag = make_severe_flag(infusion=InfusionFactory(patient=patient))
    assert flag.next_alert_at is not None
    assert _contact(clinician_client, flag, "Going to A&E by ambulance") == 302
    flag.refresh_from_db()
    first = flag.contacted_at
    assert first is not None and first >= flag.created_at
    assert (flag.status, flag.acknowledged_by, flag.next_alert_at) == (Flag.Status.ACKNOWLEDGED, clinician, None)
    assert list(flag.events.values_list("action", "actor", "note")) == [
        ("acknowledged", clinician.pk, ""),
        ("contacted", clinician.pk, "Going to A&E by ambulance"),
    ]
    assert AuditEvent.objects.filter(patient_ref=patient.pk, action="change", what=f"flag {flag.pk}: contact").exists()
    # A second call is in the history; the first contact time stays.
    assert _contact(clinician_client, flag) == 302
    flag.refresh_from_db()
    assert flag.contacted_at == first
    assert flag.events.filter(action=FlagEvent.Action.CONTACTED).count() == 2
    html = clinician_client.get(reverse("flag_detail", args=[flag.pk])).content.decode()
    assert "First contacted" in html and "Contacted the patient" in html


def test_the_events_csv_has_the_first_contact_time(clinician_client, clinician, patient):
    flag = make_severe_flag(infusion=InfusionFactory(patient=patient))
    services.triage.flag_record_contact(flag=flag, by=clinician)
    response = clinician_client.get(reverse("export_events_csv"), {"status": "all"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    expected = timezone.localtime(Flag.objects.get(pk=flag.pk).contacted_at).isoformat(timespec="minutes")
    assert [row["contacted"] for row in rows] == [expected]


def test_contacting_a_flag_a_colleague_acknowledged_keeps_their_acknowledgement(clinician, patient):
    colleague = ClinicianFactory(clinic=patient.clinic)
    flag = make_severe_flag(infusion=InfusionFactory(patient=patient))
    services.triage.flag_acknowledge(flag=flag, by=colleague, note="Seen")
    services.triage.flag_record_contact(flag=flag, by=clinician, note="Phoned")
    flag.refresh_from_db()
    assert flag.acknowledged_by == colleague and flag.contacted_at is not None
    assert list(flag.events.values_list("action", flat=True)) == ["acknowledged", "contacted"]


def test_a_closed_flag_takes_no_contact_until_reopened(clinician_client, clinician, patient):
    flag = make_severe_flag(infusion=InfusionFactory(patient=patient))
    services.triage.flag_close(flag=flag, by=clinician, outcome=Flag.Outcome.RESOLVED)
    response = clinician_client.post(reverse("flag_action", args=[flag.pk, "contact"]), {"note": "x"}, follow=True)
    assert "reopen it to record a contact" in response.content.decode()
    flag.refresh_from_db()
    assert flag.contacted_at is None and not flag.events.filter(action="contacted").exists()


def test_a_contacted_flag_cannot_be_open_in_the_database(patient):
    flag = make_severe_flag(infusion=InfusionFactory(patient=patient))
    with pytest.raises(IntegrityError), transaction.atomic():
        Flag.objects.filter(pk=flag.pk).update(contacted_at=timezone.now())


@pytest.mark.parametrize("who", ["foreign_clinician", "other_patient", "patient"])
def test_only_staff_of_the_patients_clinic_can_record_a_contact(request, who, patient):
    flag = make_severe_flag(infusion=InfusionFactory(patient=patient))
    client = _client_for(request.getfixturevalue(who))
    assert _contact(client, flag, "x") == 404
    anonymous = Client().post(reverse("flag_action", args=[flag.pk, "contact"]), {"note": "x"})
    assert anonymous.status_code == 302 and anonymous.url.startswith(reverse("login"))
    flag.refresh_from_db()
    assert (flag.status, flag.contacted_at) == (Flag.Status.OPEN, None)
    assert not flag.events.exists()


def test_a_clinic_admin_can_record_a_contact(clinic_admin, patient):
    flag = make_severe_flag(infusion=InfusionFactory(patient=patient))
    assert _contact(_client_for(clinic_admin), flag) == 302
    assert Flag.objects.get(pk=flag.pk).contacted_at is not None


def test_a_contact_note_with_control_characters_is_refused_at_its_own_field(clinician_client, patient):
    flag = make_severe_flag(infusion=InfusionFactory(patient=patient))
    response = clinician_client.post(reverse("flag_action", args=[flag.pk, "contact"]), {"note": "bad\x00note"})
    assert response.status_code == 400
    assert response.context["contact_form"].errors["note"]
    assert Flag.objects.get(pk=flag.pk).contacted_at is None


# --- One id per element on the flag page ------------------------------------------------------------


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.label_targets: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.append(found["id"])
        if tag == "label" and found.get("for"):
            self.label_targets.append(found["for"])


def _assert_ids_unique_and_labels_resolve(html: str) -> None:
    parser = _Ids()
    parser.feed(html)
    duplicates = [name for name, n in Counter(parser.ids).items() if n > 1]
    assert duplicates == []
    assert [target for target in parser.label_targets if target not in parser.ids] == []
    assert len(parser.label_targets) >= 6  # the forms are there to be checked


@pytest.mark.parametrize("symptoms", [[("chest_pain", "severe")], [("headache", "severe")]])
def test_every_form_on_the_flag_page_has_ids_of_its_own(clinician_client, patient, symptoms):
    """Acknowledge, contact, outcome and note all have a "note"; snooze and reclassify a "reason"."""
    flag = make_report(infusion=InfusionFactory(patient=patient), symptoms=symptoms).flags.get()
    html = clinician_client.get(reverse("flag_detail", args=[flag.pk])).content.decode()
    for form_id in ("ack_note", "contact_note", "close_note", "note_note", "reclassify_reason"):
        assert f'id="{form_id}"' in html
    if not flag.is_severe:
        assert 'id="snooze_reason"' in html
    _assert_ids_unique_and_labels_resolve(html)
    # Shown again with an error, a form keeps its own ids, and posts the same field names.
    response = clinician_client.post(reverse("flag_action", args=[flag.pk, "close"]), {"outcome": "", "note": "x"})
    assert response.status_code == 400 and 'id="close_outcome"' in response.content.decode()
    assert 'name="note"' in response.content.decode()
    _assert_ids_unique_and_labels_resolve(response.content.decode())


# --- The phone number: invitation, profile, the clinic's page of the patient, export ---------------


def test_the_number_given_at_invitation_is_offered_to_the_patient_who_can_correct_it(clinician_client, clinician):
    response = clinician_client.post(
        reverse("invitation_create"),
        {"email": "nia@example.test", "full_name": "Nia New", "role": "patient", "phone": "07400 900777"},
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get(email="nia@example.test")
    assert str(invitation.phone) == "+447400900777"
    url = reverse("invitation_accept", args=[services.links.invitation_token(invitation=invitation)])
    page = Client().get(url).content.decode()
    assert 'value="07400 900777"' in page and 'type="tel"' in page
    Client().post(
        url,
        {
            "full_name": "Nia New",
            "phone": "+34 612 345 678",
            "password1": "a-long-new-password-42",
            "password2": "a-long-new-password-42",
        },
    )
    assert User.objects.get(email="nia@example.test").phone_dial == "+34612345678"


def test_an_invalid_number_at_invitation_is_refused_at_the_field(clinician_client):
    response = clinician_client.post(
        reverse("invitation_create"),
        {"email": "nia@example.test", "full_name": "Nia New", "role": "patient", "phone": "12"},
    )
    assert response.status_code == 200 and response.context["form"].errors["phone"]
    assert not Invitation.objects.exists()


def test_staff_joining_are_not_asked_for_a_phone_number(clinic, clinic_admin):
    invitation = services.accounts.invitation_create(
        clinic=clinic, email="doc@example.test", full_name="Dr Doc", role="clinician", invited_by=clinic_admin
    )
    page = Client().get(reverse("invitation_accept", args=[services.links.invitation_token(invitation=invitation)]))
    assert 'name="phone"' not in page.content.decode()


def test_a_patient_sets_their_number_on_their_profile_and_finds_it_in_their_data(patient_client, patient):
    assert patient_client.post(reverse("profile"), {"phone": "07400 900123"}).status_code == 302
    patient.refresh_from_db()
    assert patient.phone_dial == "+447400900123"
    assert 'value="07400 900123"' in patient_client.get(reverse("profile")).content.decode()
    response = patient_client.post(reverse("profile"), {"phone": "not a number"})
    assert response.status_code == 200 and "Enter a valid phone number" in response.content.decode()
    patient.refresh_from_db()
    assert patient.phone_dial == "+447400900123"
    data = json.loads(patient_client.get(reverse("my_data_json")).content)
    assert data["profile"]["phone"] == "+447400900123"
    assert "phone,+447400900123" in patient_client.get(reverse("my_data_csv")).content.decode().replace("'", "")
    # Cleared: no number on file.
    assert patient_client.post(reverse("profile"), {"phone": ""}).status_code == 302
    patient.refresh_from_db()
    assert not patient.phone


def test_staff_set_a_patients_number_on_the_patients_page(clinician_client, patient):
    url = reverse("clinic_patient_phone", args=[patient.pk])
    assert clinician_client.post(url, {"phone": "07400 900456"}).status_code == 302
    patient.refresh_from_db()
    assert patient.phone_dial == "+447400900456"
    assert AuditEvent.objects.filter(patient_ref=patient.pk, action="change", what="phone number").exists()
    page = clinician_client.get(reverse("clinic_patient_detail", args=[patient.pk])).content.decode()
    assert 'href="tel:+447400900456"' in page
    refused = clinician_client.post(url, {"phone": "0"})
    assert refused.status_code == 400 and refused.context["phone_form"].errors["phone"]
    patient.refresh_from_db()
    assert patient.phone_dial == "+447400900456"


def test_staff_of_another_clinic_cannot_set_a_patients_number(foreign_clinician, patient):
    response = _client_for(foreign_clinician).post(
        reverse("clinic_patient_phone", args=[patient.pk]), {"phone": "07400 900456"}
    )
    assert response.status_code == 404
    patient.refresh_from_db()
    assert not patient.phone


def test_a_deleted_account_keeps_no_phone_number(clinic_admin, patient):
    patient.phone = "07400 900123"
    patient.save()
    deletion = services.accounts.deletion_request_create(patient=patient)
    services.accounts.deletion_confirm(deletion=deletion, by=clinic_admin)
    patient.refresh_from_db()
    assert not patient.phone
