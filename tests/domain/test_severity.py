"""Severity rules, in one place: pure, no database."""

import pytest

from reactions.domain import catalogue
from reactions.domain.catalogue import Grade, SevereType
from reactions.domain.severity import ReportLevel, assess, most_severe, report_level


@pytest.mark.parametrize("grade", Grade.values)
@pytest.mark.parametrize("sign", [s.code for s in catalogue.WARNING_SIGNS])
def test_any_warning_sign_at_any_grade_is_a_severe_event(sign, grade):
    result = assess([(sign, grade)])
    assert result.is_severe_event
    assert result.warning_signs == (sign,)
    assert result.severe_types == (catalogue.get(sign).severe_type,)


@pytest.mark.parametrize("grade", [Grade.SEVERE, Grade.VERY_SEVERE])
@pytest.mark.parametrize("code", [s.code for s in catalogue.MILD_SYMPTOMS])
def test_a_mild_symptom_graded_severe_or_very_severe_needs_review(code, grade):
    result = assess([(code, grade)])
    assert result.needs_review and not result.is_severe_event
    assert result.high_grade_mild == (code,)


@pytest.mark.parametrize("grade", [Grade.MILD, Grade.MODERATE])
def test_mild_or_moderate_common_symptoms_raise_nothing(grade):
    result = assess([("headache", grade), ("fatigue", grade)])
    assert not result.is_severe_event and not result.needs_review


def test_a_report_can_raise_both_and_types_are_listed_once():
    result = assess(
        [
            ("headache", Grade.VERY_SEVERE),
            ("breathing_trouble", Grade.MILD),
            ("throat_swelling", Grade.SEVERE),
            ("dark_urine", Grade.MODERATE),
        ]
    )
    assert result.is_severe_event and result.needs_review
    assert result.severe_types == (SevereType.ANAPHYLAXIS, SevereType.HAEMOLYSIS)
    assert result.high_grade_mild == ("headache",)


def test_nothing_reported_raises_nothing():
    result = assess([])
    assert not result.is_severe_event and not result.needs_review


def test_an_unknown_symptom_is_an_error_not_silently_ignored():
    with pytest.raises(KeyError):
        assess([("unknown_code", Grade.MILD)])


@pytest.mark.parametrize(
    ("is_severe", "needs_review", "level"),
    [
        (True, True, ReportLevel.SEVERE),
        (True, False, ReportLevel.SEVERE),
        (False, True, ReportLevel.REVIEW),
        (False, False, ReportLevel.MILD),
    ],
)
def test_a_reports_level_from_the_patients_answers(is_severe, needs_review, level):
    assert report_level(is_severe=is_severe, needs_review=needs_review) is level


@pytest.mark.parametrize(
    ("levels", "highest"),
    [
        ([], None),
        (["mild"], ReportLevel.MILD),
        (["mild", "review", "mild"], ReportLevel.REVIEW),
        (["review", "severe", "mild"], ReportLevel.SEVERE),
    ],
)
def test_the_most_severe_of_several_levels(levels, highest):
    assert most_severe(levels) is highest
