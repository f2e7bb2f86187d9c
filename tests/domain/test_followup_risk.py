"""Risk-adaptive follow-up: the table of reasons and the one function that reads it. Pure, no database."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from reactions.domain import followup_risk as risk
from reactions.domain.followup_risk import InfusionFactors, PatientFactors, Reason, Unknown

ON = date(2026, 6, 1)
KNOWN = PatientFactors(birth_year=1980, weight_kg=Decimal("70"))
ROUTINE = InfusionFactors(local_date=ON, dose_grams_that_day=Decimal("35"))  # 0.5 g/kg


def assess(patient=KNOWN, *infusions, threshold=Decimal("4.8")):
    return risk.followup_risk(patient=patient, infusions=list(infusions) or [ROUTINE], rate_threshold_ml_kg_h=threshold)


def test_every_reason_adds_only_the_three_extra_prompts_and_has_a_source():
    assert {rule.reason for rule in risk.RULES} == set(Reason)
    for rule in risk.RULES:
        assert rule.extra_offsets_hours
        assert set(rule.extra_offsets_hours) <= set(risk.EXTRA_OFFSETS_HOURS)
        assert rule.sources


def test_a_routine_infusion_of_a_patient_without_risk_adds_nothing():
    result = assess()
    assert result.extra_offsets_hours == ()
    assert result.reasons == ()
    assert result.unknowns == ()


@pytest.mark.parametrize(
    ("field", "reason", "offsets"),
    [
        ("thrombosis_history", Reason.THROMBOSIS_HISTORY, (48, 120)),
        ("kidney_disease", Reason.KIDNEY_DISEASE, (48, 120)),
        ("diabetes", Reason.DIABETES, (48, 120)),
        ("pregnancy_postpartum", Reason.PREGNANCY_POSTPARTUM, (48, 120)),
        ("reduced_mobility", Reason.REDUCED_MOBILITY, (48, 120)),
        ("iga_deficiency", Reason.IGA_DEFICIENCY, (6,)),
    ],
)
def test_each_patient_risk_factor(field, reason, offsets):
    result = assess(replace(KNOWN, **{field: True}))
    assert result.reasons == (reason,)
    assert result.extra_offsets_hours == offsets


@pytest.mark.parametrize(
    ("birth_year", "fires"),
    [(1960, True), (1961, False), (1970, False)],  # in 2026: turning 66 (at least 65) fires, turning 65 does not
)
def test_age_over_65_is_counted_in_years_of_birth(birth_year, fires):
    result = assess(replace(KNOWN, birth_year=birth_year))
    assert (Reason.AGE_OVER_65 in result.reasons) is fires
    assert result.extra_offsets_hours == ((48, 120) if fires else ())


def test_an_unknown_year_of_birth_is_said_not_guessed():
    result = assess(replace(KNOWN, birth_year=None))
    assert Reason.AGE_OVER_65 not in result.reasons
    assert result.unknowns == (Unknown.BIRTH_YEAR,)


@pytest.mark.parametrize(
    ("field", "reason", "offsets"),
    [
        ("first_infusion", Reason.FIRST_INFUSION, (6, 48)),
        ("first_with_product", Reason.FIRST_PRODUCT, (6, 48)),
        ("first_with_lot", Reason.FIRST_LOT, (6,)),
    ],
)
def test_each_first(field, reason, offsets):
    result = assess(KNOWN, replace(ROUTINE, **{field: True}))
    assert result.reasons == (reason,)
    assert result.extra_offsets_hours == offsets


def test_an_unrecorded_lot_is_said_not_guessed():
    result = assess(KNOWN, replace(ROUTINE, lot_recorded=False, first_with_lot=True))
    assert Reason.FIRST_LOT not in result.reasons
    assert result.unknowns == (Unknown.LOT,)


@pytest.mark.parametrize(
    ("grams", "fires"),
    [(Decimal("69.5"), False), (Decimal("70"), True), (Decimal("140"), True)],  # 70 kg: 1 g/kg is 70 g
)
def test_a_dose_of_1_g_per_kg_in_a_day(grams, fires):
    result = assess(KNOWN, replace(ROUTINE, dose_grams_that_day=grams))
    assert (Reason.HIGH_DOSE in result.reasons) is fires
    assert result.extra_offsets_hours == ((48, 120) if fires else ())


def test_a_dose_without_a_weight_is_said_not_guessed():
    result = assess(replace(KNOWN, weight_kg=None), replace(ROUTINE, dose_grams_that_day=Decimal("140")))
    assert Reason.HIGH_DOSE not in result.reasons
    assert result.unknowns == (Unknown.WEIGHT_FOR_DOSE,)


def test_no_dose_recorded_checks_nothing():
    assert assess(replace(KNOWN, weight_kg=None), replace(ROUTINE, dose_grams_that_day=None)).unknowns == ()


@pytest.mark.parametrize(
    ("rates", "fires"),
    [
        (((Decimal("0.5"), "ml_kg_h"), (Decimal("4.8"), "ml_kg_h")), False),  # at the threshold: not above
        (((Decimal("0.5"), "ml_kg_h"), (Decimal("5"), "ml_kg_h")), True),
        (((Decimal("350"), "ml_h"),), True),  # 5 mL/kg/h at 70 kg
        (((Decimal("300"), "ml_h"),), False),  # 4.3 mL/kg/h
    ],
)
def test_a_rate_above_the_clinics_threshold(rates, fires):
    result = assess(KNOWN, replace(ROUTINE, rates=rates))
    assert (Reason.FAST_RATE in result.reasons) is fires
    assert result.extra_offsets_hours == ((6, 48) if fires else ())


def test_the_clinic_chooses_the_threshold():
    rates = ((Decimal("3"), "ml_kg_h"),)
    assert Reason.FAST_RATE not in assess(KNOWN, replace(ROUTINE, rates=rates)).reasons
    assert Reason.FAST_RATE in assess(KNOWN, replace(ROUTINE, rates=rates), threshold=Decimal("2.5")).reasons


def test_a_rate_in_ml_per_hour_without_a_weight_is_said_not_guessed():
    result = assess(
        replace(KNOWN, weight_kg=None), replace(ROUTINE, dose_grams_that_day=None, rates=((Decimal("400"), "ml_h"),))
    )
    assert result.reasons == ()
    assert result.unknowns == (Unknown.WEIGHT_FOR_RATE,)


def test_reasons_combine_as_the_union_of_their_prompts_in_table_order():
    result = assess(replace(KNOWN, thrombosis_history=True), replace(ROUTINE, first_with_lot=True))
    assert result.reasons == (Reason.THROMBOSIS_HISTORY, Reason.FIRST_LOT)
    assert result.extra_offsets_hours == (6, 48, 120)
    assert result.labels == ["history of thrombosis", "first infusion with this lot"]


def test_a_course_counts_the_facts_of_every_day():
    day1 = replace(ROUTINE, first_with_lot=True)
    day2 = replace(ROUTINE, local_date=date(2026, 6, 2), dose_grams_that_day=Decimal("70"))
    result = assess(KNOWN, day1, day2)
    assert result.reasons == (Reason.FIRST_LOT, Reason.HIGH_DOSE)
    assert result.extra_offsets_hours == (6, 48, 120)
