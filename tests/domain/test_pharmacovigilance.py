"""The pharmacovigilance lists and their FHIR R4 codes (reactions/domain/pharmacovigilance.py)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from reactions.domain import pharmacovigilance as pv
from reactions.models import EventAssessment
from tests.factories import make_report


def test_no_criterion_is_non_serious_any_is_serious():
    assert pv.is_serious([]) is False
    for criterion in pv.Seriousness.values:
        assert pv.is_serious([criterion]) is True


def test_unknown_criteria_are_refused():
    with pytest.raises(ValueError, match="severe"):
        pv.is_serious(["severe"])


def test_the_six_ich_e2a_criteria_in_their_order():
    assert pv.Seriousness.values == [
        "death",
        "life_threatening",
        "hospitalisation",
        "disability",
        "congenital_anomaly",
        "medically_important",
    ]
    assert pv.ordered_criteria(["medically_important", "death", "death"]) == ["death", "medically_important"]


def test_the_who_umc_categories():
    assert [str(label) for label in pv.Causality.labels] == [
        "Certain",
        "Probable / likely",
        "Possible",
        "Unlikely",
        "Conditional / unclassified",
        "Unassessable / unclassifiable",
    ]


@pytest.mark.parametrize(
    ("criteria", "codes"),
    [
        ([], ["Non-serious"]),
        (["hospitalisation"], ["Serious", "SeriousResultsInHospitalization"]),
        (["medically_important"], ["Serious"]),  # no R4 code of its own
        (["medically_important", "congenital_anomaly", "life_threatening"], ["Serious", "SeriousIsLifeThreatening"]),
        (["disability"], ["Serious", "SeriousResultsInDisability"]),
        (["death"], ["Serious", "SeriousResultsInDeath"]),
    ],
)
def test_fhir_seriousness(criteria, codes):
    codings = pv.fhir_seriousness(criteria)
    assert [c.code for c in codings] == codes
    assert all(c.system == "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness" for c in codings)


def test_every_outcome_and_causality_has_its_r4_code():
    assert set(pv.FHIR_OUTCOME) == set(pv.Outcome.values)
    assert {c.code for c in pv.FHIR_OUTCOME.values()} == {
        "resolved",
        "recovering",
        "ongoing",
        "resolvedWithSequelae",
        "fatal",
        "unknown",
    }
    assert set(pv.FHIR_CAUSALITY) == set(pv.Causality.values)
    assert {c.code for c in pv.FHIR_CAUSALITY.values()} == {
        "Certain",
        "Probably-Likely",
        "Possible",
        "Unlikely",
        "Conditional-Classified",
        "Unassessable-Unclassifiable",
    }


@pytest.mark.parametrize(
    ("criteria", "outcome", "consistent"),
    [
        ([], "recovered", True),
        (["death"], "fatal", True),
        (["death", "life_threatening"], "fatal", True),
        ([], "fatal", False),
        (["hospitalisation"], "fatal", False),
        (["death"], "recovering", False),
    ],
)
def test_death_and_a_fatal_outcome_go_together(criteria, outcome, consistent):
    assert (pv.consistency_error(criteria=criteria, outcome=outcome) is None) is consistent


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fields",
    [
        {"outcome": "fatal"},  # without death
        {"death": True},  # death, outcome not fatal
        {"causality": "sure"},
        {"action_taken": "ignored"},
        {"outcome": "better"},
    ],
)
def test_the_database_refuses_what_the_lists_and_rules_refuse(fields):
    report = make_report(symptoms=[("headache", "mild")])
    values = {"causality": "possible", "action_taken": "none", "outcome": "recovered", **fields}
    with pytest.raises(IntegrityError), transaction.atomic():
        EventAssessment.objects.create(report=report, **values)


@pytest.mark.django_db
def test_the_database_allows_one_current_assessment_per_report():
    report = make_report(symptoms=[("headache", "mild")])
    values = {"causality": "possible", "action_taken": "none", "outcome": "recovered"}
    EventAssessment.objects.create(report=report, **values)
    with pytest.raises(IntegrityError), transaction.atomic():
        EventAssessment.objects.create(report=report, **values)
