"""The day-before reminder waits while a planned infusion needs a clinician's plan: held, never lost."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from reactions import engine, selectors, services
from reactions.models import Flag, FollowUp, Infusion, InfusionPlan, OutboundEmail
from tests.factories import (
    ClinicFactory,
    ClinicianFactory,
    InfusionFactory,
    PatientFactory,
    clinic_for_engine_tests,
    make_planned_infusion,
    make_severe_flag,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient():
    return PatientFactory(clinic=clinic_for_engine_tests())


@pytest.fixture
def clinician(patient):
    return ClinicianFactory(clinic=patient.clinic)


def _reminder(infusion: Infusion) -> FollowUp:
    return infusion.followups.get(kind=FollowUp.Kind.PRE_INFUSION)


def _reminder_emails() -> list:
    return [m for m in mail.outbox if "drink plenty of fluids" in m.body.lower()]


def test_without_a_severe_event_the_reminder_goes_out(patient):
    infusion = make_planned_infusion(patient)
    engine.dispatcher.dispatch_due()
    assert len(_reminder_emails()) == 1
    assert _reminder(infusion).status == FollowUp.Status.DONE


def test_after_a_severe_event_the_reminder_is_held_until_a_plan_then_sent_once(patient, clinician):
    make_severe_flag(infusion=InfusionFactory(patient=patient))
    infusion = make_planned_infusion(patient)
    for _ in range(2):
        engine.dispatcher.dispatch_due()
    assert _reminder_emails() == []
    assert _reminder(infusion).status == FollowUp.Status.SCHEDULED  # held, not lost

    services.plans.infusion_plan_record(infusion=infusion, by=clinician, decision=InfusionPlan.Decision.PREMEDICATE)
    engine.dispatcher.dispatch_due()
    engine.dispatcher.dispatch_due()
    assert len(_reminder_emails()) == 1
    assert _reminder(infusion).status == FollowUp.Status.DONE


def test_a_held_reminder_is_not_sent_once_the_infusion_has_begun(patient, clinician):
    make_severe_flag(infusion=InfusionFactory(patient=patient))
    infusion = make_planned_infusion(patient)
    engine.dispatcher.dispatch_due()
    services.plans.infusion_plan_record(infusion=infusion, by=clinician, decision=InfusionPlan.Decision.PROCEED)
    engine.dispatcher.dispatch_due(now=infusion.started_at + timedelta(minutes=5))
    assert _reminder_emails() == []
    assert _reminder(infusion).status == FollowUp.Status.CANCELLED


def test_stop_cancels_the_reminder_and_it_is_never_sent(patient, clinician):
    make_severe_flag(infusion=InfusionFactory(patient=patient))
    infusion = make_planned_infusion(patient)
    engine.dispatcher.dispatch_due()
    services.plans.infusion_plan_record(infusion=infusion, by=clinician, decision=InfusionPlan.Decision.STOP)
    assert _reminder(infusion).status == FollowUp.Status.CANCELLED
    # Editing the infusion schedules its reminder again; the dispatcher still does not send it.
    services.infusions.infusion_update(infusion=infusion, notes="Moved room")
    assert _reminder(infusion).status == FollowUp.Status.SCHEDULED
    engine.dispatcher.dispatch_due()
    assert _reminder_emails() == []
    assert _reminder(infusion).status == FollowUp.Status.CANCELLED


def test_stop_cancels_a_reminder_email_already_queued(patient, clinician):
    infusion = make_planned_infusion(patient)
    engine.dispatcher.followups_queue_due(now=timezone.now())  # queued, not yet delivered
    email = OutboundEmail.objects.get(followup__infusion=infusion)
    services.plans.infusion_plan_record(infusion=infusion, by=clinician, decision=InfusionPlan.Decision.STOP)
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.CANCELLED
    engine.dispatcher.dispatch_due()
    assert _reminder_emails() == []


def test_a_plan_that_replaces_a_stop_brings_the_reminder_back(patient, clinician):
    make_severe_flag(infusion=InfusionFactory(patient=patient))
    infusion = make_planned_infusion(patient)
    services.plans.infusion_plan_record(infusion=infusion, by=clinician, decision=InfusionPlan.Decision.STOP)
    engine.dispatcher.dispatch_due()
    assert _reminder_emails() == []
    services.plans.infusion_plan_record(infusion=infusion, by=clinician, decision=InfusionPlan.Decision.SLOWER_RATE)
    engine.dispatcher.dispatch_due()
    assert len(_reminder_emails()) == 1


def test_the_daily_reminder_counts_infusions_that_need_a_plan(clinician):
    # The severe event itself was acknowledged and closed: only the plan is still to do.
    clinic = ClinicFactory(time_zone="UTC", daily_reminder_at=time(8))
    ClinicianFactory(clinic=clinic)
    patient = PatientFactory(clinic=clinic)
    flag = make_severe_flag(infusion=InfusionFactory(patient=patient))
    services.triage.flag_close(flag=flag, by=clinician, outcome=Flag.Outcome.RESOLVED)
    infusion = make_planned_infusion(patient)
    assert selectors.clinic.clinic_open_items(clinic=clinic).plans_needed == 1
    morning = timezone.now().replace(hour=9, minute=0) + timedelta(days=1)
    assert engine.dispatcher.digests_queue(now=morning) == 1
    email = OutboundEmail.objects.get(kind=OutboundEmail.Kind.DAILY_DIGEST)
    assert "1 open item" in email.subject and "need a plan after a severe event: 1" in email.body_text
    services.plans.infusion_plan_record(infusion=infusion, by=clinician, decision=InfusionPlan.Decision.PROCEED)
    assert selectors.clinic.clinic_open_items(clinic=clinic).total == 0
