"""The patient's own data export: who gave each report and answer, their caregivers, their invitations and
their notification devices, and nothing of anyone else beyond a caregiver's name and e-mail address."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from reactions import services
from reactions.models import FollowUp, Infusion, ReportSource
from tests.factories import InfusionFactory, make_caregiver, make_report

pytestmark = pytest.mark.django_db

ENDPOINT = "https://fcm.googleapis.com/fcm/send/ENDPOINT-SECRET-123"
P256DH = "BPUBLIC-KEY-OF-THE-DEVICE-p256dh"
AUTH = "AUTH-SECRET-456"


@pytest.fixture
def circle(patient, other_patient):
    """Pat's caregivers (Robin now; Sam, who stepped down; Kim, removed by Pat), a pending invitation, an
    accepted and a withdrawn one, one device with its keys; and Robin's other patient, with their own data."""
    robin, _link = make_caregiver(patient, full_name="Robin Rivera", email="robin@example.test")
    sam, sam_link = make_caregiver(patient, full_name="Sam Stepdown", email="sam@example.test")
    services.caregivers.care_link_remove(link=sam_link, by=sam)
    _kim, kim_link = make_caregiver(patient, full_name="Kim Removed", email="kim@example.test")
    services.caregivers.care_link_remove(link=kim_link, by=patient)
    services.caregivers.caregiver_invite(patient=patient, email="Lee@Example.test", full_name="Lee Pending")
    withdrawn = services.caregivers.caregiver_invite(patient=patient, email="wd@example.test", full_name="Wd Gone")
    services.caregivers.caregiver_invitation_withdraw(invitation=withdrawn)
    device = services.push.push_subscribe(
        user=patient, endpoint=ENDPOINT, p256dh=P256DH, auth=AUTH, device_label="Chrome on Android"
    )
    services.push.push_record_success(subscription=device)
    # Robin helps someone else too: nothing of theirs is Pat's.
    services.caregivers.caregiver_invite(
        patient=other_patient, email="their-invitee@example.test", full_name="Not Pat's"
    )
    make_caregiver(other_patient, full_name="Their Helper", email="helper@example.test")
    services.push.push_subscribe(
        user=other_patient,
        endpoint="https://fcm.googleapis.com/fcm/send/THEIRS",
        p256dh=P256DH,
        auth=AUTH,
        device_label="Firefox on Linux",
    )
    return {"robin": robin, "device": device}


@pytest.fixture
def answers(patient, circle):
    """A given infusion whose first prompt the patient answered, second the caregiver answered, and a caregiver's
    report that answered the third."""
    started = timezone.now() - timedelta(days=2)
    infusion = services.infusions.infusion_create(
        patient=patient,
        logged_by=patient,
        status=Infusion.Status.GIVEN,
        started_at=started,
        ended_at=started + timedelta(hours=3),
        product=Infusion.Product.PRIVIGEN,
    )
    # Reported before any prompt is open, so that each report answers only the prompt it is given below.
    own = make_report(infusion=infusion, symptoms=[("headache", "mild")], notes="Mine")
    entry = services.reports.SymptomEntry(code="fatigue", grade="moderate", onset="during")
    theirs = services.reports.report_create(
        infusion=infusion,
        symptoms=[entry],
        notes="Robin's words",
        source=ReportSource.CAREGIVER_APP,
        entered_by=circle["robin"],
    )
    first, second, third = FollowUp.objects.filter(infusion=infusion).order_by("due_at")[:3]
    FollowUp.objects.filter(pk__in=[first.pk, second.pk, third.pk]).update(status=FollowUp.Status.PROMPTED)
    services.followups.followup_answer(followup=first, answer=FollowUp.Answer.NO_SYMPTOMS)
    services.followups.followup_answer(followup=second, answer=FollowUp.Answer.NO_SYMPTOMS, answered_by=circle["robin"])
    services.followups.followup_answer(followup=third, answer=FollowUp.Answer.REPORTED, report=theirs)
    return {"first": first, "second": second, "third": third, "own": own, "theirs": theirs}


def _json(client) -> dict:
    response = client.get(reverse("my_data_json"))
    assert response.status_code == 200
    return json.loads(response.content)


def test_json_export_lists_current_and_past_caregivers_and_pending_invitations(patient_client, circle):
    data = _json(patient_client)
    caregivers = {c["name"]: c for c in data["caregivers"]}
    assert list(caregivers) == ["Robin Rivera", "Sam Stepdown", "Kim Removed"]
    robin = caregivers["Robin Rivera"]
    assert robin["email"] == "robin@example.test" and robin["since"] and robin["gets_followup_messages"] is True
    assert robin["removed_at"] is None and robin["removed_by"] is None
    assert caregivers["Sam Stepdown"]["removed_at"] and caregivers["Sam Stepdown"]["removed_by"] == "caregiver"
    assert caregivers["Kim Removed"]["removed_at"] and caregivers["Kim Removed"]["removed_by"] == "you"
    (pending,) = data["caregiver_invitations_pending"]
    assert (pending["name"], pending["email"]) == ("Lee Pending", "lee@example.test") and pending["sent_at"]


def test_json_export_lists_devices_without_their_endpoint_or_keys(patient_client, circle):
    data = _json(patient_client)
    (device,) = data["notification_devices"]
    assert device["device"] == "Chrome on Android"
    assert device["added_at"] and device["last_notified_at"]
    assert set(device) == {"device", "added_at", "last_notified_at"}


def test_reports_and_answers_say_who_gave_them(patient_client, answers):
    (infusion,) = _json(patient_client)["infusions"]
    reports = {r["id"]: r for r in infusion["reports"]}
    assert reports[answers["own"].pk]["reported_by"] == "patient"
    assert reports[answers["own"].pk]["source"] == "patient"
    assert reports[answers["theirs"].pk]["reported_by"] == "caregiver: Robin Rivera"
    assert reports[answers["theirs"].pk]["source"] == "caregiver_app"
    followups = {f["id"]: f for f in infusion["followups"]}
    assert followups[answers["first"].pk]["answered_by"] == "patient"
    assert followups[answers["second"].pk]["answered_by"] == "caregiver: Robin Rivera"
    assert followups[answers["third"].pk]["answered_by"] == "caregiver: Robin Rivera"
    assert all(f["answered_by"] == "" for f in infusion["followups"] if not f["answered_at"])


def test_csv_export_says_who_reported_and_lists_caregivers_and_devices(patient_client, answers):
    response = patient_client.get(reverse("my_data_csv"))
    rows = list(csv.reader(io.StringIO(response.content.decode())))

    def table(title: str) -> list[dict[str, str]]:
        start = rows.index([title])
        header = rows[start + 1]
        body = rows[start + 2 : rows.index([], start)]
        return [dict(zip(header, row, strict=True)) for row in body]

    symptoms = table("Reported symptoms")
    assert {(r["symptom"], r["reported_by"]) for r in symptoms} == {
        ("Headache", "patient"),
        ("Tiredness", "caregiver: Robin Rivera"),
    }
    answered = [r["answered_by"] for r in table("Follow-up prompts") if r["answered_at"]]
    assert answered == ["patient", "caregiver: Robin Rivera", "caregiver: Robin Rivera"]
    assert [(c["name"], c["removed_by"]) for c in table("Caregivers")] == [
        ("Robin Rivera", ""),
        ("Sam Stepdown", "caregiver"),
        ("Kim Removed", "you"),
    ]
    assert [c["email"] for c in table("Caregiver invitations not yet accepted")] == ["lee@example.test"]
    assert [d["device"] for d in table("Notification devices")] == ["Chrome on Android"]


@pytest.mark.parametrize("name", ["my_data_json", "my_data_csv"])
def test_exports_hold_no_push_secret_and_nothing_of_anyone_else(name, patient_client, answers):
    text = patient_client.get(reverse(name)).content.decode()
    assert "Robin Rivera" in text and "robin@example.test" in text and "Chrome on Android" in text
    for secret in (ENDPOINT, "ENDPOINT-SECRET", P256DH, AUTH, "fcm.googleapis.com"):
        assert secret not in text
    # Another patient's caregiver, invitation and device; a withdrawn invitation is not pending.
    for foreign in ("Their Helper", "helper@example.test", "Not Pat's", "their-invitee", "Firefox on Linux", "Wd Gone"):
        assert foreign not in text


def test_a_caregiver_never_gets_the_patients_data_export(login, patient, circle):
    client = login(circle["robin"])
    for name in ("my_data_json", "my_data_csv"):
        assert client.get(reverse(name)).status_code == 404


def test_the_other_patients_report_by_their_caregiver_is_not_in_pats_export(patient_client, other_patient, answers):
    helper, _link = make_caregiver(other_patient, full_name="Second Helper", email="second@example.test")
    entry = services.reports.SymptomEntry(code="rash", grade="mild", onset="during")
    services.reports.report_create(
        infusion=InfusionFactory(patient=other_patient),
        symptoms=[entry],
        source=ReportSource.CAREGIVER_APP,
        entered_by=helper,
    )
    assert "Second Helper" not in patient_client.get(reverse("my_data_json")).content.decode()
