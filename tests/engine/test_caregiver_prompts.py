"""Caregivers who chose to receive them get the patient's prompts and reminders, with links of their own."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reactions import engine, services
from reactions.models import AuditEvent, FollowUp, OutboundEmail
from tests.factories import CaregiverFactory, PatientFactory, clinic_for_engine_tests, make_caregiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient():
    return PatientFactory(clinic=clinic_for_engine_tests(), full_name="Sam Patient")


def _given(patient, *, ended_ago=timedelta(hours=2)):
    now = timezone.now()
    return services.infusions.infusion_create(
        patient=patient,
        logged_by=patient,
        status="given",
        started_at=now - ended_ago - timedelta(hours=3),
        ended_at=now - ended_ago,
        product="privigen",
    )


def test_a_caregiver_gets_the_prompt_and_their_answer_answers_it_for_the_patient(patient):
    caregiver, _ = make_caregiver(patient, email="carer@example.test")
    infusion = _given(patient)
    result = engine.dispatcher.dispatch_due()
    assert (result.prompts_queued, result.delivery.sent) == (2, 2)
    by_address = {message.to[0]: message for message in mail.outbox}
    assert set(by_address) == {patient.email, "carer@example.test"}
    theirs = by_address["carer@example.test"]
    assert theirs.subject == "A follow-up question to answer"  # names nobody
    assert "How is Sam since the infusion on" in theirs.body
    assert "/email/" not in theirs.body  # "stop these e-mails" is the caregiver's own page, not the patient's choice
    assert reverse("care_home") in theirs.body

    link = next(word for word in theirs.body.split() if "/f/" in word and "/report/" not in word)
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    page = Client().get(path).content.decode()
    assert "You are helping Sam" in page
    assert Client().post(path).status_code == 200
    followup = infusion.followups.get(offset_hours=2)
    assert (followup.status, followup.answer, followup.answered_by) == ("answered", "no_symptoms", caregiver)
    # What the link showed the caregiver is in the patient's access log.
    seen = AuditEvent.objects.filter(patient_ref=patient.pk, actor=caregiver).values_list("action", "what")
    assert sorted(seen) == [
        ("change", "a follow-up prompt (as caregiver)"),
        ("view", "a follow-up prompt (as caregiver)"),
    ]


def test_the_reminder_and_the_day_before_reminder_go_to_the_caregiver_too(patient):
    make_caregiver(patient, email="carer@example.test")
    _given(patient)
    engine.dispatcher.dispatch_due()
    FollowUp.objects.filter(offset_hours=2).update(sent_at=timezone.now() - timedelta(hours=25))
    assert engine.dispatcher.dispatch_due().reminders_queued == 2
    reminders = OutboundEmail.objects.filter(kind=OutboundEmail.Kind.FOLLOWUP_REMINDER)
    assert set(reminders.values_list("to_email", flat=True)) == {patient.email, "carer@example.test"}

    start = timezone.now() + timedelta(hours=23)
    services.infusions.infusion_create(
        patient=patient, logged_by=patient, status="planned", started_at=start, ended_at=None, product="privigen"
    )
    engine.dispatcher.dispatch_due()
    day_before = OutboundEmail.objects.filter(kind=OutboundEmail.Kind.PRE_INFUSION)
    assert set(day_before.values_list("to_email", flat=True)) == {patient.email, "carer@example.test"}
    assert "Sam's next infusion" in day_before.get(to_email="carer@example.test").body_text


def test_paused_follow_ups_reach_nobody(patient):
    make_caregiver(patient)
    _given(patient)
    services.accounts.patient_followups_set(patient=patient, choice="pause")
    engine.dispatcher.dispatch_due()
    assert not mail.outbox


def test_a_caregivers_address_refused_for_good_does_not_stop_the_patients_follow_up(patient):
    make_caregiver(patient, email="carer@example.test")
    infusion = _given(patient)
    engine.dispatcher.followups_queue_due(now=timezone.now())
    theirs = OutboundEmail.objects.get(to_email="carer@example.test")
    theirs.last_error = "550 no such user"
    engine.undeliverable.email_undeliverable(email=theirs)
    assert infusion.followups.get(offset_hours=2).status == FollowUp.Status.PROMPTED


def test_a_batch_of_prompts_reads_the_caregivers_in_one_query(patient):
    others = [PatientFactory(clinic=patient.clinic) for _ in range(3)]
    for someone in [patient, *others]:
        make_caregiver(someone)
        _given(someone)
    with CaptureQueriesContext(connection) as few:
        assert engine.dispatcher.followups_queue_due(now=timezone.now()) == 8
    caregiver_reads = [q for q in few.captured_queries if "reactions_carelink" in q["sql"]]
    assert len(caregiver_reads) == 1


def test_a_caregiver_account_without_patients_gets_nothing():
    CaregiverFactory()
    assert engine.dispatcher.dispatch_due().prompts_queued == 0
