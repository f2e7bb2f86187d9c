"""Triage: the three tiers, the rule table, the free-text red flags. Pure: no database, no request."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from reactions.domain import catalogue, lexicon, triage
from reactions.domain.catalogue import Grade, SignGroup
from reactions.domain.red_flags import red_flags
from reactions.domain.triage import Care, Tier, assess

# Every table ever released, with its fingerprint: a version name is never reused for another table.
RELEASED = {
    "2026-12.1": "a38ce9156857d8c4",
}

# What the brief asks of each sign, written out here rather than read back from the table.
EMERGENCY_SIGNS = [
    "breathing_trouble",
    "sudden_breathless",
    "hard_to_breathe",
    "throat_swelling",
    "blue_lips",
    "chest_pain",
    "face_droop",
    "one_sided_weakness",
    "trouble_speaking",
    "vision_loss",
    "sudden_confusion",
    "collapse",
]
URGENT_SIGNS = [
    "faint_collapse",
    "widespread_hives",
    "headache_stiff_neck",
    "light_hurts_eyes",
    "vomiting",
    "drowsiness",
    "less_urine",
    "sudden_weight_gain",
    "swelling_legs_face",
    "dark_urine",
    "yellow_skin_eyes",
    "fast_heartbeat",
    "painful_swollen_limb",
]
MILD_CODES = [s.code for s in catalogue.MILD_SYMPTOMS]
DOC = Path(settings.BASE_DIR) / "docs" / "clinical-facts.md"

M, MO, S, VS = Grade.MILD, Grade.MODERATE, Grade.SEVERE, Grade.VERY_SEVERE


# --- Tiers and care ---------------------------------------------------------------------------------


def test_three_tiers_most_urgent_first():
    assert Tier.values == ["emergency", "urgent", "routine"]
    with translation.override("en"):
        assert [str(label) for label in Tier.labels] == ["Emergency", "Urgent, today", "Routine"]
    assert Tier.EMERGENCY.rank > Tier.URGENT.rank > Tier.ROUTINE.rank
    assert triage.tier_rank("urgent") == Tier.URGENT.rank
    assert triage.most_urgent(["routine", "emergency", "urgent"]) is Tier.EMERGENCY
    assert triage.most_urgent(["routine", "urgent"]) is Tier.URGENT
    assert triage.most_urgent([]) is Tier.ROUTINE
    with pytest.raises(KeyError):
        triage.tier_rank("soon")


def test_care_choices():
    with translation.override("en"):
        assert [(value, str(label)) for value, label in Care.choices] == [
            ("", "Not answered"),
            ("none", "No"),
            ("gp_clinic", "GP or clinic"),
            ("urgent_care", "Urgent care or A&E"),
            ("admitted", "Admitted to hospital"),
        ]


@pytest.mark.parametrize(
    ("care", "tier", "serious"),
    [
        ("", Tier.ROUTINE, False),
        ("none", Tier.ROUTINE, False),
        ("gp_clinic", Tier.ROUTINE, False),
        ("urgent_care", Tier.URGENT, False),  # E2A: an A&E visit without admission is not serious by itself
        ("admitted", Tier.URGENT, True),
    ],
)
def test_care_answers(care, tier, serious):
    result = assess([], care=care)
    assert result.tier is tier
    assert ("U-care" in result.rules) is (tier is Tier.URGENT)
    assert result.signs == () and not result.needs_review
    assert triage.is_serious(care) is serious


@pytest.mark.parametrize("care", ["urgent_care", "admitted"])
def test_care_never_lowers_an_emergency(care):
    result = assess([("chest_pain", M)], care=care)
    assert result.tier is Tier.EMERGENCY and result.rules == ("E-chest", "U-care")


def test_an_unknown_care_answer_is_an_error():
    with pytest.raises(ValueError):
        assess([], care="hospital")
    with pytest.raises(ValueError):
        triage.is_serious("hospital")


# --- Symptoms, one by one ---------------------------------------------------------------------------


def test_the_brief_names_every_warning_sign_once():
    assert sorted(EMERGENCY_SIGNS + URGENT_SIGNS) == sorted(s.code for s in catalogue.WARNING_SIGNS)
    assert frozenset(EMERGENCY_SIGNS) == triage.EMERGENCY_SIGNS


@pytest.mark.parametrize("grade", Grade.values)
@pytest.mark.parametrize("code", EMERGENCY_SIGNS)
def test_every_emergency_sign_at_every_grade_is_an_emergency(code, grade):
    result = assess([(code, grade)])
    assert result.tier is Tier.EMERGENCY
    assert result.signs == (code,)
    assert result.rules[0].startswith("E-")
    assert result.alerts_clinicians and result.shows_emergency_advice and not result.needs_review


@pytest.mark.parametrize("grade", [M, MO, S])
@pytest.mark.parametrize("code", URGENT_SIGNS)
def test_every_urgent_sign_alone_is_urgent(code, grade):
    result = assess([(code, grade)])
    assert result.tier is Tier.URGENT
    assert result.signs == (code,)
    assert all(rule.startswith("U-") for rule in result.rules) and "U-very-severe" not in result.rules
    assert result.alerts_clinicians and not result.shows_emergency_advice and not result.needs_review


@pytest.mark.parametrize("code", URGENT_SIGNS)
def test_an_urgent_sign_graded_very_severe_is_still_urgent_not_an_emergency(code):
    result = assess([(code, VS)])
    assert result.tier is Tier.URGENT and "U-very-severe" in result.rules


@pytest.mark.parametrize("grade", [M, MO])
@pytest.mark.parametrize("code", MILD_CODES)
def test_a_common_symptom_graded_mild_or_moderate_is_routine(code, grade):
    result = assess([(code, grade)])
    assert result == triage.Triage(tier=Tier.ROUTINE)


@pytest.mark.parametrize("code", MILD_CODES)
def test_a_common_symptom_graded_severe_is_routine_with_a_review(code):
    result = assess([(code, S)])
    assert (result.tier, result.rules, result.signs, result.needs_review) == (Tier.ROUTINE, ("R-review",), (), True)
    assert not result.alerts_clinicians


@pytest.mark.parametrize("code", [s.code for s in catalogue.SYMPTOMS])
def test_any_symptom_graded_very_severe_is_at_least_urgent(code):
    result = assess([(code, VS)])
    assert result.tier.rank >= Tier.URGENT.rank
    assert "U-very-severe" in result.rules and code in result.signs
    assert result.needs_review is (code in MILD_CODES)


def test_several_common_symptoms_however_many_stay_routine():
    result = assess([(code, MO) for code in MILD_CODES])
    assert result.tier is Tier.ROUTINE and result.rules == ()


# --- Combinations and their near misses --------------------------------------------------------------


@pytest.mark.parametrize(
    ("symptoms", "tier", "rule", "fires"),
    [
        # Aseptic meningitis: a severe headache with fever, vomiting, light sensitivity or a stiff neck.
        ([("headache", S), ("fever", M)], Tier.URGENT, "U-meningitis", True),
        ([("headache", VS), ("fever", M)], Tier.URGENT, "U-meningitis", True),
        ([("headache", S), ("vomiting", M)], Tier.URGENT, "U-meningitis", True),
        ([("headache", S), ("light_hurts_eyes", M)], Tier.URGENT, "U-meningitis", True),
        ([("headache", S), ("headache_stiff_neck", M)], Tier.URGENT, "U-meningitis", True),
        ([("headache", S), ("drowsiness", M)], Tier.URGENT, "U-meningitis", True),
        ([("headache", MO), ("fever", M)], Tier.ROUTINE, "U-meningitis", False),
        ([("headache", MO), ("fever", S)], Tier.ROUTINE, "U-meningitis", False),  # the fever is severe, not the ache
        ([("headache", M), ("fever", VS)], Tier.URGENT, "U-meningitis", False),  # urgent for the very severe fever
        ([("headache", S), ("chills", M)], Tier.ROUTINE, "U-meningitis", False),
        ([("headache", S), ("nausea", MO)], Tier.ROUTINE, "U-meningitis", False),
        ([("headache", S)], Tier.ROUTINE, "U-meningitis", False),
        ([("headache_stiff_neck", M)], Tier.URGENT, "U-stiff-neck", True),
        ([("headache", M), ("headache_stiff_neck", M)], Tier.URGENT, "U-meningitis", False),
        # Feeling faint: an emergency with another allergy sign, urgent alone.
        ([("faint_collapse", M), ("widespread_hives", M)], Tier.EMERGENCY, "E-faint-allergy", True),
        ([("faint_collapse", M), ("vomiting", M)], Tier.EMERGENCY, "E-faint-allergy", True),
        ([("faint_collapse", M), ("throat_swelling", M)], Tier.EMERGENCY, "E-faint-allergy", True),
        ([("faint_collapse", M), ("breathing_trouble", M)], Tier.EMERGENCY, "E-faint-allergy", True),
        ([("faint_collapse", M), ("sudden_breathless", M)], Tier.EMERGENCY, "E-faint-allergy", True),
        ([("faint_collapse", M), ("hard_to_breathe", M)], Tier.EMERGENCY, "E-faint-allergy", True),
        ([("faint_collapse", MO)], Tier.URGENT, "E-faint-allergy", False),
        ([("faint_collapse", M), ("nausea", S)], Tier.URGENT, "E-faint-allergy", False),  # nausea is not vomiting
        ([("faint_collapse", M), ("rash", MO)], Tier.URGENT, "E-faint-allergy", False),  # a small rash is not hives
        ([("faint_collapse", M), ("fever", MO)], Tier.URGENT, "E-faint-allergy", False),
        ([("faint_collapse", M), ("fast_heartbeat", M)], Tier.URGENT, "E-faint-allergy", False),
        ([("widespread_hives", S)], Tier.URGENT, "U-hives", True),
        ([("widespread_hives", M), ("vomiting", M)], Tier.URGENT, "E-faint-allergy", False),
        # Fever with rigors.
        ([("fever", S), ("chills", M)], Tier.URGENT, "U-fever-rigors", True),
        ([("fever", VS), ("chills", MO)], Tier.URGENT, "U-fever-rigors", True),
        ([("fever", MO), ("chills", M)], Tier.ROUTINE, "U-fever-rigors", False),
        ([("fever", MO), ("chills", S)], Tier.ROUTINE, "U-fever-rigors", False),
        ([("fever", S)], Tier.ROUTINE, "U-fever-rigors", False),
        ([("chills", S)], Tier.ROUTINE, "U-fever-rigors", False),
    ],
)
def test_combination_rules_and_their_near_misses(symptoms, tier, rule, fires):
    result = assess(symptoms)
    assert result.tier is tier
    assert (rule in result.rules) is fires


def test_a_combination_names_both_signs_in_catalogue_order():
    result = assess([("fever", M), ("headache", S)])
    assert result.signs == ("headache", "fever") and result.rules == ("U-meningitis", "R-review")
    result = assess([("faint_collapse", M), ("widespread_hives", MO)])
    assert result.rules == ("E-faint-allergy", "U-faint", "U-hives")
    assert result.signs == ("widespread_hives", "faint_collapse")


def test_a_report_takes_the_most_urgent_tier_and_lists_every_rule_in_table_order():
    result = assess(
        [("headache", S), ("dark_urine", M), ("chest_pain", MO), ("fatigue", VS), ("breathing_trouble", S)],
        notes="and my ankles are swollen",
        care="admitted",
    )
    assert result.tier is Tier.EMERGENCY
    assert result.rules == ("E-breathing", "E-chest", "U-very-severe", "U-haemolysis", "U-care", "U-notes", "R-review")
    assert result.signs == ("fatigue", "breathing_trouble", "chest_pain", "dark_urine")
    assert result.notes_matches == ("swelling_legs_face",) and result.needs_review
    assert result.version == triage.RULES_VERSION


def test_a_symptom_given_twice_counts_at_its_worse_grade():
    assert assess([("fever", M), ("fever", S), ("chills", M)]).tier is Tier.URGENT
    assert assess([("fever", S), ("fever", M), ("chills", M)]).tier is Tier.URGENT


def test_nothing_reported_is_routine():
    assert assess([]) == triage.Triage(tier=Tier.ROUTINE)
    assert assess([], notes="Felt a bit tired, otherwise fine. My chest feels better.") == triage.Triage(Tier.ROUTINE)


def test_unknown_codes_and_grades_are_errors_not_silently_ignored():
    with pytest.raises(KeyError):
        assess([("made_up", M)])
    with pytest.raises(KeyError):
        assess([("headache", M), ("made_up", VS)])
    with pytest.raises(ValueError):
        assess([("headache", "terrible")])
    with pytest.raises(ValueError):
        assess([("headache", "")])


def test_the_result_is_frozen():
    result = assess([("chest_pain", M)])
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.tier = Tier.ROUTINE


# --- Notes --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("notes", "matches", "emergency_advice"),
    [
        ("Crushing chest pain since this morning", ("chest_pain",), True),
        ("No puedo respirar", ("breathing_trouble",), True),
        ("Me desmayé en la cocina", ("collapse",), True),
        ("my pee is dark and my eyes are yellow", ("dark_urine", "yellow_skin_eyes"), False),
        ("orina oscura desde ayer", ("dark_urine",), False),
        ("tengo el cuello rígido", ("headache_stiff_neck",), False),
    ],
)
def test_notes_alone_make_a_report_urgent_never_an_emergency(notes, matches, emergency_advice):
    result = assess([], notes=notes)
    assert result.tier is Tier.URGENT and result.rules == ("U-notes",)
    assert result.notes_matches == matches and result.signs == ()
    assert result.shows_emergency_advice is emergency_advice


def test_notes_name_signs_in_catalogue_order_each_once():
    notes = "Chest pain, then I couldn't breathe. Chest pain again tonight; dolor de pecho."
    assert red_flags(notes) == ("breathing_trouble", "chest_pain")
    assert red_flags("my pee is dark and my eyes are yellow") == ("dark_urine", "yellow_skin_eyes")


def test_notes_beside_a_ticked_emergency_sign_keep_the_emergency():
    result = assess([("throat_swelling", M)], notes="I can't breathe")
    assert result.tier is Tier.EMERGENCY and result.rules == ("E-swelling", "U-notes")
    assert result.notes_emergency_signs == ("breathing_trouble",)


# --- The rule table ------------------------------------------------------------------------------------


def test_rule_ids_are_unique_stable_and_say_their_tier():
    ids = [rule.id for rule in triage.RULES]
    assert len(ids) == len(set(ids)) and set(triage.BY_ID) == set(ids)
    prefix = {Tier.EMERGENCY: "E-", Tier.URGENT: "U-", Tier.ROUTINE: "R-"}
    assert all(rule.id.startswith(prefix[rule.tier]) for rule in triage.RULES)
    assert all(re.fullmatch(r"[EUR]-[a-z]+(-[a-z]+)*", rule_id) for rule_id in ids)


def test_the_table_reads_most_urgent_first():
    ranks = [rule.tier.rank for rule in triage.RULES]
    assert ranks == sorted(ranks, reverse=True)


def test_every_rule_reads_known_codes_and_says_something():
    known = set(catalogue.BY_CODE) | {triage.ANY_SYMPTOM}
    for rule in triage.RULES:
        assert set(rule.codes()) <= known, rule.id
        kinds = [bool(rule.any_of), bool(rule.care), rule.notes]
        assert kinds.count(True) == 1, rule.id  # one kind of input per rule
        assert not rule.with_any_of or rule.any_of
        assert str(rule.summary).strip()


def test_every_catalogue_code_is_covered_by_a_rule_or_is_a_common_symptom():
    read = {code for rule in triage.RULES if rule.id != "U-very-severe" for code in rule.codes()}
    for symptom in catalogue.SYMPTOMS:
        assert symptom.code in read or symptom.family is catalogue.Family.MILD, symptom.code
    assert set(triage.BY_ID["R-review"].any_of) == set(MILD_CODES)


def test_every_source_is_in_the_clinical_facts_and_every_rule_is_described_there():
    text = DOC.read_text(encoding="utf-8")
    sources = text.split("## Sources", 1)[1]
    listed = {int(n) for n in re.findall(r"^(\d+)\. ", sources, flags=re.MULTILINE)}
    for rule in triage.RULES:
        cited = {int(n) for group in re.findall(r"\[([\d, ]+)\]", rule.source) for n in group.split(",")}
        assert cited or "local" in rule.source, rule.id
        assert cited <= listed, rule.id
        assert f"`{rule.id}`" in text, f"{rule.id} is not described in docs/clinical-facts.md"
    assert triage.RULES_VERSION in text


def _user_visible_strings():
    yield from Tier.labels
    yield from (label for value, label in Care.choices)
    yield from SignGroup.labels
    yield from (rule.summary for rule in triage.RULES)


def test_every_new_string_is_translated_to_spanish():
    same_in_both = {"No"}
    for text in _user_visible_strings():
        with translation.override("en"):
            english = str(text)
        with translation.override("es"):
            spanish = str(text)
        assert spanish and (spanish != english or english in same_in_both), english


# --- The version ------------------------------------------------------------------------------------


def test_the_table_cannot_change_without_a_new_version():
    assert re.fullmatch(r"\d{4}-\d{2}\.\d+", triage.RULES_VERSION)
    assert triage.fingerprint() == triage.RULES_FINGERPRINT, (
        "The rule table, lexicon or negation words changed: bump RULES_VERSION, record the new fingerprint() "
        "as RULES_FINGERPRINT and in RELEASED (tests/domain/test_triage.py), and say what changed in "
        "docs/clinical-facts.md."
    )
    assert RELEASED.get(triage.RULES_VERSION) == triage.RULES_FINGERPRINT, "a released version names one table only"
    assert len(set(RELEASED.values())) == len(RELEASED)
    assert assess([]).version == triage.RULES_VERSION


@pytest.mark.parametrize(
    "change",
    [
        lambda rules: rules[:-1],
        lambda rules: (dataclasses.replace(rules[0], tier=Tier.URGENT), *rules[1:]),
        lambda rules: (dataclasses.replace(rules[0], any_of=rules[0].any_of[:1]), *rules[1:]),
        lambda rules: tuple(
            dataclasses.replace(r, min_grade=Grade.MODERATE) if r.id == "U-meningitis" else r for r in rules
        ),
    ],
)
def test_the_fingerprint_sees_a_change_to_the_rules(monkeypatch, change):
    before = triage.fingerprint()
    monkeypatch.setattr(triage, "RULES", change(triage.RULES))
    assert triage.fingerprint() != before


def test_the_fingerprint_sees_a_change_to_the_lexicon_and_ignores_rewording(monkeypatch):
    before = triage.fingerprint()
    reworded = tuple(dataclasses.replace(r, summary="Reworded", source="[1]") for r in triage.RULES)
    monkeypatch.setattr(triage, "RULES", reworded)
    assert triage.fingerprint() == before
    words = dict(lexicon.LEXICON)
    words["chest_pain"] = lexicon.Terms(en=(*words["chest_pain"].en, "heartburn"), es=words["chest_pain"].es)
    monkeypatch.setattr(lexicon, "LEXICON", words)
    assert triage.fingerprint() != before


def test_a_warning_sign_without_a_grade_counts_and_a_common_symptom_without_one_is_an_error():
    assert assess([("chest_pain", catalogue.NOT_GIVEN)]).tier is Tier.EMERGENCY
    assert assess([("dark_urine", catalogue.NOT_GIVEN)]).tier is Tier.URGENT
    with pytest.raises(ValueError, match="grade"):
        assess([("headache", catalogue.NOT_GIVEN)])
