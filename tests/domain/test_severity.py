"""Report levels: pure, no database. What a report raises is tested in test_triage.py."""

import pytest

from reactions.domain.severity import ReportLevel, most_severe, report_level


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
