"""The hot queries use their indexes: checked with EXPLAIN on PostgreSQL.

Run with DATABASE_URL=postgres://…; on SQLite these tests skip (the plans are PostgreSQL's).
With a few rows the planner would rightly scan the table, so sequential scans are priced out
(SET LOCAL enable_seqscan = off): what is checked is that a matching index exists and fits
the query's WHERE clause (partial indexes only qualify when their predicate is implied).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from reactions import engine, selectors
from reactions.models import Flag, FollowUp, OutboundEmail, ReactionReport
from tests.factories import InfusionFactory, PatientFactory, make_report

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip(
            "QUERY PLAN TESTS SKIPPED: they need PostgreSQL. "
            "Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench pytest tests/selectors/test_query_plans.py"
        )
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")


def _plan(queryset) -> str:
    return queryset.explain()


def _some_followups(clinic) -> None:
    now = timezone.now()
    for _n in range(3):
        infusion = InfusionFactory(patient=PatientFactory(clinic=clinic))
        for offset, status in ((2, "scheduled"), (24, "answered"), (72, "scheduled")):
            FollowUp.objects.create(
                infusion=infusion,
                patient=infusion.patient,
                offset_hours=offset,
                due_at=now + timedelta(hours=offset - 30),
                status=status,
                answered_at=now if status == "answered" else None,
                answer="no_symptoms" if status == "answered" else "",
            )


def test_dispatcher_due_rows_use_the_partial_index(clinic):
    _some_followups(clinic)
    due = FollowUp.objects.filter(status=FollowUp.Status.SCHEDULED, due_at__lte=timezone.now()).order_by("due_at", "pk")
    plan = _plan(due)
    assert "followup_due" in plan, plan
    assert "Seq Scan" not in plan, plan
    # The bounded backlog count the Celery tick uses to ask for a helper, too.
    count_plan = _plan(FollowUp.objects.filter(status=FollowUp.Status.SCHEDULED, due_at__lte=timezone.now()))
    assert "followup_due" in count_plan, count_plan


def test_outbox_pending_rows_use_the_partial_index(clinic):
    _some_followups(clinic)
    engine.dispatcher.dispatch_due()
    pending = OutboundEmail.objects.filter(status=OutboundEmail.Status.PENDING, due_at__lte=timezone.now())
    plan = _plan(pending.order_by("due_at", "pk"))
    assert "email_pending_due" in plan, plan


def test_triage_queue_uses_the_active_queue_index(clinic):
    for _ in range(3):
        make_report(
            infusion=InfusionFactory(patient=PatientFactory(clinic=clinic)),
            symptoms=[("chest_pain", "severe"), ("headache", "very_severe")],
        )
    assert Flag.objects.filter(clinic=clinic).count() == 6
    plan = _plan(selectors.triage_queue.clinic_queue(clinic=clinic))
    # The queue sorts by a CASE (severe first), which no index can give, so the plan sorts either way;
    # which of the two indexes led by clinic_id the planner picks depends on the table's statistics
    # (the full suite leaves them different from a fresh database), so either is accepted.
    used = r"(Index (Only )?Scan using|Bitmap Index Scan on) (flag_active_queue|reactions_flag_clinic_id\w*)"
    assert re.search(used, plan), plan
    assert "Seq Scan on reactions_flag" not in plan, plan


def test_patient_pages_read_through_patient_indexes(clinic):
    patient = PatientFactory(clinic=clinic)
    make_report(infusion=InfusionFactory(patient=patient), symptoms=[("headache", "mild")])
    with connection.cursor() as cursor:
        # With one row the planner would rather sort it than walk the ordered index: price sorts out,
        # so what is checked is that an index gives the timeline's order (patient, -started_at).
        cursor.execute("SET LOCAL enable_sort = off")
    plan = _plan(selectors.timeline.patient_timeline(patient=patient))
    assert "Seq Scan on reactions_infusion" not in plan, plan
    assert "Index Scan using reactions_i_patient" in plan, plan  # Infusion(patient, -started_at)


def test_the_product_report_finds_severe_reports_through_their_partial_index(clinic):
    infusion = InfusionFactory(patient=PatientFactory(clinic=clinic))
    make_report(infusion=infusion, symptoms=[("chest_pain", "severe")])
    # Many reports of that infusion that are not severe, counted by ANALYZE: with one or two rows the
    # infusion's other index costs the same, and the planner's pick between equals is arbitrary.
    ReactionReport.objects.bulk_create(
        ReactionReport(patient=infusion.patient, infusion=infusion, tier="routine") for _n in range(300)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE reactions_reactionreport")
    # The filter the product report asks of every infusion ("had it a severe report, after review?"):
    # the partial index qualifies only if PostgreSQL can prove the filter implies its predicate.
    plan = _plan(ReactionReport.objects.filter(infusion=infusion).filter(ReactionReport.SEVERE_AFTER_REVIEW))
    assert "report_severe_by_infusion" in plan, plan
