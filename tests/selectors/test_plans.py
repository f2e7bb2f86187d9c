"""The one rule of "plan needed": a planned infusion after a severe event waits for a clinician's plan."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from reactions import services
from reactions.models import Flag, Infusion, InfusionPlan
from reactions.selectors import plans
from tests.factories import InfusionFactory, PatientFactory, make_planned_infusion, make_report, make_severe_flag

pytestmark = pytest.mark.django_db


def _needs_plan(infusion: Infusion) -> bool:
    return plans.with_plan_state(Infusion.objects.filter(pk=infusion.pk)).get().needs_plan


def test_no_severe_event_no_plan_needed(patient):
    make_report(infusion=InfusionFactory(patient=patient), symptoms=[("fatigue", "severe")])  # a review flag
    planned = make_planned_infusion(patient)
    assert not _needs_plan(planned)
    assert plans.clinic_plans_needed(clinic=patient.clinic) == []


def test_a_severe_event_after_the_previous_infusion_needs_a_plan(patient):
    flag = make_severe_flag(infusion=InfusionFactory(patient=patient))
    planned = make_planned_infusion(patient)
    state = plans.with_plan_state(Infusion.objects.filter(pk=planned.pk)).get()
    assert state.needs_plan and state.severe_flag_id == flag.pk
    assert plans.clinic_plans_needed(clinic=patient.clinic) == [planned]


def test_a_severe_event_before_the_previous_given_infusion_needs_none(patient):
    now = timezone.now()
    older = InfusionFactory(patient=patient, started_at=now - timedelta(days=40))
    flag = make_severe_flag(infusion=older)
    Flag.objects.filter(pk=flag.pk).update(created_at=now - timedelta(days=38))
    InfusionFactory(patient=patient, started_at=now - timedelta(days=5))  # given since, uneventful
    assert not _needs_plan(make_planned_infusion(patient))


def test_a_recorded_plan_answers_it_until_a_later_severe_event(patient, clinician):
    infusion = InfusionFactory(patient=patient)
    make_severe_flag(infusion=infusion)
    planned = make_planned_infusion(patient)
    services.plans.infusion_plan_record(infusion=planned, by=clinician, decision="premedicate", note="Cetirizine")
    assert not _needs_plan(planned)
    assert plans.clinic_plans_needed(clinic=patient.clinic) == []
    # Another severe event after the plan: the plan no longer answers it.
    make_severe_flag(infusion=infusion)
    assert _needs_plan(planned)


def test_a_clinicians_upgrade_to_severe_counts_as_a_severe_event(patient, clinician):
    report = make_report(infusion=InfusionFactory(patient=patient), symptoms=[("fatigue", "mild")])
    planned = make_planned_infusion(patient)
    assert not _needs_plan(planned)
    services.reports.report_reclassify(report=report, by=clinician, to_level="severe", reason="Chest pain on call")
    assert _needs_plan(planned)


def test_only_planned_infusions_of_that_patient_need_one(patient, other_patient):
    given = InfusionFactory(patient=patient)
    make_severe_flag(infusion=given)
    assert not _needs_plan(given)
    assert not _needs_plan(make_planned_infusion(other_patient))
    assert _needs_plan(make_planned_infusion(patient))


def test_the_latest_plan_wins_and_the_history_is_kept(patient, clinician):
    make_severe_flag(infusion=InfusionFactory(patient=patient))
    planned = make_planned_infusion(patient)
    services.plans.infusion_plan_record(infusion=planned, by=clinician, decision="slower_rate")
    services.plans.infusion_plan_record(infusion=planned, by=clinician, decision="proceed", note="Seen in clinic")
    page = plans.infusion_plan_page(infusion=planned)
    assert not page.needs_plan
    assert page.current_plan.decision == InfusionPlan.Decision.PROCEED
    assert [p.decision for p in page.history] == ["proceed", "slower_rate"]
    assert InfusionPlan.objects.filter(infusion=planned, superseded_at__isnull=True).count() == 1


def test_plan_states_for_a_page_of_infusions_in_two_queries(patient, clinician, django_assert_num_queries):
    given = InfusionFactory(patient=patient)
    make_severe_flag(infusion=given)
    first, second = make_planned_infusion(patient), make_planned_infusion(patient, in_hours=24 * 30)
    services.plans.infusion_plan_record(infusion=second, by=clinician, decision="stop")
    infusions = list(Infusion.objects.filter(patient=patient))
    with django_assert_num_queries(2):
        plans.attach_plan_states(infusions)
    by_pk = {i.pk: i for i in infusions}
    assert (by_pk[first.pk].needs_plan, by_pk[first.pk].current_plan) == (True, None)
    assert (by_pk[second.pk].needs_plan, by_pk[second.pk].current_plan.decision) == (False, "stop")
    assert by_pk[given.pk].needs_plan is False
    with django_assert_num_queries(0):
        plans.attach_plan_states([given])


def test_a_plan_only_for_a_planned_infusion(patient, clinician):
    with pytest.raises(services.plans.PlanError):
        services.plans.infusion_plan_record(infusion=InfusionFactory(patient=patient), by=clinician, decision="stop")
    with pytest.raises(services.plans.PlanError):
        services.plans.infusion_plan_record(infusion=make_planned_infusion(patient), by=clinician, decision="maybe")


def test_a_patient_in_another_clinic_is_not_listed(patient, other_clinic):
    foreign = PatientFactory(clinic=other_clinic)
    make_severe_flag(infusion=InfusionFactory(patient=foreign))
    make_planned_infusion(foreign)
    assert plans.clinic_plans_needed(clinic=patient.clinic) == []
    assert len(plans.clinic_plans_needed(clinic=other_clinic)) == 1


def test_the_database_allows_one_current_plan_per_infusion_and_only_the_five_decisions(patient, clinician):
    planned = make_planned_infusion(patient)
    InfusionPlan.objects.create(infusion=planned, decision="proceed", decided_by=clinician)
    with pytest.raises(IntegrityError), transaction.atomic():
        InfusionPlan.objects.create(infusion=planned, decision="stop", decided_by=clinician)
    with pytest.raises(IntegrityError), transaction.atomic():
        InfusionPlan.objects.create(
            infusion=make_planned_infusion(patient, in_hours=48), decision="postpone", decided_by=clinician
        )
