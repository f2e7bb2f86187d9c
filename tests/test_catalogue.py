"""The symptom catalogue: pure, no database."""
from datetime import timedelta

import pytest

from reactions.domain import catalogue
from reactions.domain.catalogue import Family, Onset, SevereType


def test_codes_are_unique_and_stable_identifiers():
    codes = [s.code for s in catalogue.SYMPTOMS]
    assert len(codes) == len(set(codes))
    assert all(code.isidentifier() and code == code.lower() for code in codes)
    # Codes are stored in reports: these must never change meaning.
    assert {"headache", "fever", "breathing_trouble", "painful_swollen_limb", "dark_urine"} <= set(codes)


def test_the_two_families_are_kept_apart():
    mild = set(catalogue.MILD_SYMPTOMS)
    severe = set(catalogue.WARNING_SIGNS)
    assert mild and severe and not (mild & severe)
    assert mild | severe == set(catalogue.SYMPTOMS)
    assert all(s.family is Family.MILD and s.severe_type is None for s in mild)
    assert all(s.is_warning_sign and s.severe_type is not None for s in severe)


def test_every_severe_reaction_has_warning_signs_a_patient_recognises():
    covered = {s.severe_type for s in catalogue.WARNING_SIGNS}
    assert covered == set(SevereType)
    for symptom in catalogue.SYMPTOMS:
        assert symptom.label and symptom.clinical_name
        assert symptom.label[0].isupper()


def test_the_common_mild_reactions_from_the_design_are_all_there():
    labels = " ".join(s.code for s in catalogue.MILD_SYMPTOMS)
    for code in ("headache", "fever", "chills", "fatigue", "nausea", "muscle_aches", "rash"):
        assert code in labels


def test_get_returns_the_symptom_and_rejects_unknown_codes():
    assert catalogue.get("rash").family is Family.MILD
    with pytest.raises(KeyError):
        catalogue.get("made_up")


@pytest.mark.parametrize(
    ("onset", "since_end", "possible"),
    [
        (Onset.DURING, timedelta(0), True),
        (Onset.WITHIN_1H, timedelta(minutes=5), True),
        (Onset.H1_6, timedelta(minutes=30), False),
        (Onset.H1_6, timedelta(hours=1), True),
        (Onset.D1_3, timedelta(hours=20), False),
        (Onset.D1_3, timedelta(hours=25), True),
        (Onset.D3_7, timedelta(days=2), False),
        (Onset.OVER_7D, timedelta(days=8), True),
    ],
)
def test_an_onset_cannot_be_later_than_now(onset, since_end, possible):
    assert catalogue.onset_possible(onset, time_since_end=since_end) is possible
