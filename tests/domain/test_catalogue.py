"""The symptom catalogue: pure, no database."""

from datetime import timedelta

import pytest
from django.utils import translation

from reactions.domain import catalogue
from reactions.domain.catalogue import Family, Onset, SevereType, SignGroup

# Every code ever stored in a report: a code is never renamed, reused or removed (retire it instead).
STORED_CODES = {
    "headache",
    "fever",
    "chills",
    "fatigue",
    "nausea",
    "muscle_aches",
    "rash",
    "breathing_trouble",
    "throat_swelling",
    "widespread_hives",
    "faint_collapse",
    "headache_stiff_neck",
    "light_hurts_eyes",
    "vomiting",
    "drowsiness",
    "less_urine",
    "sudden_weight_gain",
    "swelling_legs_face",
    "painful_swollen_limb",
    "chest_pain",
    "sudden_breathless",
    "one_sided_weakness",
    "dark_urine",
    "yellow_skin_eyes",
    "fast_heartbeat",
    "hard_to_breathe",
    "blue_lips",
    # 2026-12: the stroke signs split out of one_sided_weakness, and collapse out of faint_collapse.
    "collapse",
    "face_droop",
    "trouble_speaking",
    "vision_loss",
    "sudden_confusion",
}


def test_codes_are_unique_and_stable_identifiers():
    codes = [s.code for s in catalogue.SYMPTOMS]
    assert len(codes) == len(set(codes))
    assert all(code.isidentifier() and code == code.lower() for code in codes)
    # Codes are stored in reports: none may disappear, and each new one is recorded above.
    assert set(codes) == STORED_CODES
    assert [code for code, _label in catalogue.choices()] == codes  # retired codes stay valid in the database


def test_retired_signs_stay_valid_but_are_not_offered():
    retired = {s.code for s in catalogue.SYMPTOMS if s.retired}
    assert retired == {"sudden_breathless", "hard_to_breathe"}
    for code in retired:
        assert catalogue.get(code).is_warning_sign  # old reports still show (and triage) them
        assert code in catalogue.BY_CODE
    assert {s.code for s in catalogue.OFFERED} == STORED_CODES - retired
    assert tuple(s for s in catalogue.OFFERED if s.is_warning_sign) == catalogue.OFFERED_WARNING_SIGNS
    assert catalogue.get("breathing_trouble") in catalogue.OFFERED  # the one breathing item left


def test_every_warning_sign_has_a_group_and_every_group_offers_signs():
    assert all(s.group is None and not s.retired for s in catalogue.MILD_SYMPTOMS)
    assert all(isinstance(s.group, SignGroup) for s in catalogue.WARNING_SIGNS)
    screen = catalogue.offered_warning_signs_by_group()
    assert [group for group, _signs in screen] == list(SignGroup)
    assert all(signs for _group, signs in screen)
    shown = [s for _group, signs in screen for s in signs]
    assert sorted(s.code for s in shown) == sorted(s.code for s in catalogue.OFFERED_WARNING_SIGNS)
    assert all(s.group is group for group, signs in screen for s in signs)


@pytest.mark.parametrize(
    ("group", "codes"),
    [
        (SignGroup.BREATHING, {"breathing_trouble", "throat_swelling", "blue_lips"}),
        (SignGroup.CHEST, {"chest_pain"}),
        (SignGroup.STROKE, {"face_droop", "one_sided_weakness", "trouble_speaking", "vision_loss", "sudden_confusion"}),
        (SignGroup.COLLAPSE, {"collapse"}),
        (SignGroup.ALLERGY, {"widespread_hives", "faint_collapse", "fast_heartbeat"}),
        (SignGroup.HEAD, {"headache_stiff_neck", "light_hurts_eyes", "vomiting", "drowsiness"}),
        (SignGroup.KIDNEYS, {"less_urine", "sudden_weight_gain", "swelling_legs_face"}),
        (SignGroup.BLOOD, {"dark_urine", "yellow_skin_eyes"}),
        (SignGroup.LIMB, {"painful_swollen_limb"}),
    ],
)
def test_the_groups_of_the_warning_sign_screen(group, codes):
    assert {s.code for s in dict(catalogue.offered_warning_signs_by_group())[group]} == codes


@pytest.mark.parametrize(
    ("code", "label", "clinical_name"),
    [
        ("collapse", "Fainted or collapsed", "Syncope / collapse"),
        ("face_droop", "Face drooping on one side", "Facial droop (suspected stroke)"),
        ("trouble_speaking", "Trouble speaking or slurred speech", "Dysarthria / dysphasia (suspected stroke)"),
        ("vision_loss", "Sudden loss of sight in one or both eyes", "Sudden visual loss (suspected stroke)"),
        ("sudden_confusion", "Sudden confusion", "Acute confusion"),
        ("faint_collapse", "Feeling faint or dizzy", "Presyncope / dizziness"),
        ("drowsiness", "Unusual drowsiness", "Altered consciousness"),
        ("chest_pain", "Chest pain or pressure, or pain on breathing in", "Chest pain (suspected MI or PE)"),
        ("one_sided_weakness", "Weakness or numbness on one side of the body", "Focal weakness (suspected stroke)"),
        ("breathing_trouble", "Trouble breathing, wheezing or gasping", "Bronchospasm / dyspnoea"),
        ("throat_swelling", "Swelling of the face, lips, tongue or throat", "Angioedema"),
    ],
)
def test_labels_say_one_sign_each(code, label, clinical_name):
    symptom = catalogue.get(code)
    with translation.override("en"):
        assert (str(symptom.label), str(symptom.clinical_name)) == (label, clinical_name)


def test_the_two_families_are_kept_apart():
    mild = set(catalogue.MILD_SYMPTOMS)
    severe = set(catalogue.WARNING_SIGNS)
    assert mild and severe and not (mild & severe)
    assert mild | severe == set(catalogue.SYMPTOMS)
    assert all(s.family is Family.MILD and s.severe_type is None for s in mild)
    assert all(s.is_warning_sign and s.severe_type is not None for s in severe)


def test_every_severe_reaction_has_warning_signs_a_patient_recognises():
    covered = {s.severe_type for s in catalogue.OFFERED_WARNING_SIGNS}
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
