"""selectors.burden.symptom_burden: each infusion's burden, from the database, in a bounded number of queries."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reactions import services
from reactions.charts import BurdenChart
from reactions.models import Infusion, RateChange
from reactions.selectors.burden import symptom_burden
from tests.factories import ClinicianFactory, InfusionFactory, make_report

pytestmark = pytest.mark.django_db


def test_burden_sums_the_grade_weights_of_the_symptoms_of_an_infusion(patient):
    infusion = InfusionFactory(patient=patient, premedication="Cetirizine", pre_hydrated=True, lot_number="LOT-7")
    make_report(infusion=infusion, symptoms=[("headache", "mild"), ("fatigue", "moderate")])
    make_report(infusion=infusion, symptoms=[("nausea", "severe"), ("chills", "severe")])
    quiet = InfusionFactory(patient=patient, started_at=timezone.now() - timedelta(days=30))

    chart = symptom_burden(patient=patient)

    assert isinstance(chart, BurdenChart)
    assert [r.infusion_id for r in chart.rows] == [quiet.pk, infusion.pk]  # oldest first
    row = chart.rows[1]
    assert row.burden == 1 + 2 + 3 + 3
    assert (row.product, row.lot, row.premedication, row.pre_hydrated) == ("Privigen", "LOT-7", "Cetirizine", True)
    assert row.severe is False and row.reports == 2
    assert chart.rows[0].burden == 0 and chart.rows[0].reports == 0
    assert [bar.row for bar in chart.layout.bars] == chart.rows


def test_a_symptom_reported_again_counts_once_at_its_highest_grade(patient):
    infusion = InfusionFactory(patient=patient)
    make_report(infusion=infusion, symptoms=[("headache", "mild")])
    make_report(infusion=infusion, symptoms=[("headache", "severe"), ("fatigue", "mild")])
    make_report(infusion=infusion, symptoms=[("headache", "moderate"), ("fatigue", "mild")])

    (row,) = symptom_burden(patient=patient).rows

    assert row.reports == 3
    assert row.burden == 3 + 1  # headache at its highest (severe), fatigue once (mild): not 1+3+2+1+1


def test_the_same_symptom_counts_again_after_another_infusion(patient):
    earlier = InfusionFactory(patient=patient, started_at=timezone.now() - timedelta(days=30))
    later = InfusionFactory(patient=patient)
    for infusion, grade in ((earlier, "very_severe"), (earlier, "mild"), (later, "moderate"), (later, "moderate")):
        make_report(infusion=infusion, symptoms=[("headache", grade)])

    rows = symptom_burden(patient=patient).rows

    assert [(r.infusion_id, r.burden) for r in rows] == [(earlier.pk, 4), (later.pk, 2)]


def test_severe_follows_the_report_level_after_clinician_review(patient, clinician):
    severe = InfusionFactory(patient=patient, started_at=timezone.now() - timedelta(days=10))
    make_report(infusion=severe, symptoms=[("breathing_trouble", "moderate")])
    downgraded = InfusionFactory(patient=patient)
    report = make_report(infusion=downgraded, symptoms=[("chest_pain", "mild")])
    services.reports.report_reclassify(
        report=report, by=clinician, to_level="mild", reason="Muscular, examined in clinic"
    )

    rows = symptom_burden(patient=patient).rows

    assert [(r.infusion_id, r.severe) for r in rows] == [(severe.pk, True), (downgraded.pk, False)]


def test_highest_rate_comes_from_the_rate_changes(patient, clinician):
    infusion = InfusionFactory(patient=patient)
    for minutes, rate in ((0, "0.5"), (30, "2"), (60, "4.8")):
        services.infusions.rate_change_record(
            infusion=infusion,
            by=clinician,
            changed_at=infusion.started_at + timedelta(minutes=minutes),
            rate=Decimal(rate),
            unit=RateChange.Unit.ML_KG_H,
        )
    (row,) = symptom_burden(patient=patient).rows
    assert row.max_rate == "4.8 mL/kg/h"


def test_only_the_patients_own_given_infusions_the_last_24(patient, other_patient):
    start = timezone.now() - timedelta(days=900)
    given = [InfusionFactory(patient=patient, started_at=start + timedelta(days=30 * n)) for n in range(26)]
    InfusionFactory(
        patient=patient, status=Infusion.Status.PLANNED, started_at=timezone.now() + timedelta(days=3), ended_at=None
    )
    InfusionFactory(patient=other_patient)

    rows = symptom_burden(patient=patient).rows

    assert [r.infusion_id for r in rows] == [i.pk for i in given[-24:]]


def test_dates_are_local_dates_in_the_current_time_zone(patient):
    # 23:30 UTC on 31 Jan is already 1 February in Tokyo.
    InfusionFactory(patient=patient, started_at=datetime(2025, 1, 31, 23, 30, tzinfo=UTC))
    with timezone.override("Asia/Tokyo"):
        (row,) = symptom_burden(patient=patient).rows
    assert row.date == date(2025, 2, 1)


def _patient_history(patient, clinician, *, infusions: int) -> None:
    start = timezone.now() - timedelta(days=30 * infusions)
    for n in range(infusions):
        infusion = InfusionFactory(patient=patient, started_at=start + timedelta(days=30 * n))
        services.infusions.rate_change_record(
            infusion=infusion,
            by=clinician,
            changed_at=infusion.started_at,
            rate=Decimal(1),
            unit=RateChange.Unit.ML_KG_H,
        )
        make_report(infusion=infusion, symptoms=[("headache", "moderate"), ("rash", "mild")])
        make_report(infusion=infusion, symptoms=[("fatigue", "severe"), ("headache", "mild")])


def test_query_count_does_not_grow_with_the_data(patient, other_patient, clinician):
    _patient_history(patient, clinician, infusions=2)
    _patient_history(other_patient, clinician, infusions=20)

    with CaptureQueriesContext(connection) as small:
        small_rows = symptom_burden(patient=patient).rows
    with CaptureQueriesContext(connection) as large:
        large_rows = symptom_burden(patient=other_patient).rows

    assert (len(small_rows), len(large_rows)) == (2, 20)
    assert all(r.burden == 2 + 1 + 3 for r in large_rows)
    assert len(small) == len(large) <= 4


def test_query_count_is_bounded_for_the_largest_chart(patient, django_assert_max_num_queries):
    clinician = ClinicianFactory(clinic=patient.clinic)
    _patient_history(patient, clinician, infusions=30)
    with django_assert_max_num_queries(4):
        chart = symptom_burden(patient=patient)
    assert len(chart.rows) == 24
