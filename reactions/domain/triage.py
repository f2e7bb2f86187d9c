"""Triage: how soon a person must act on a reaction report, from the patient's own answers.

Pure Python, no database, no request. Three tiers (docs/clinical-facts.md §6):

- emergency: the patient is told to call the emergency number now, and clinicians are alerted at once;
- urgent, today: the patient is told to call the clinic now (or its out-of-hours line), and clinicians
  are alerted at once;
- routine: everything else; a common symptom graded severe also asks for a clinician's review.

One rule table (``RULES``, in reactions/domain/rules.py) decides, read top to bottom; a report takes the
most urgent tier of the rules it fires. ``RULES_VERSION`` names the table and is stored with each
result, so that a decision can be traced to the rules that made it; ``RULES_FINGERPRINT`` records what
the table held when the version was named, and a test fails when the table (or the free-text lexicon)
changes without a new version.

The patient's free text is read too (``lexicon.LEXICON``): a warning sign named in English or Spanish makes the
report at least urgent, never an emergency by itself, because the patient did not tick the sign and the
words may be hearsay, history or worry. What is shown to the patient for such a match is the caller's
choice (``Triage.shows_emergency_advice``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from reactions.domain import catalogue, lexicon, red_flags
from reactions.domain.catalogue import Grade, StrOrPromise
from reactions.domain.rules import BY_ID, EMERGENCY_SIGNS, RULES, RULES_FINGERPRINT, RULES_VERSION
from reactions.domain.tiers import (
    ANY_SYMPTOM,
    GRADE_RANK,
    Care,
    Rule,
    Tier,
    is_serious,
    most_urgent,
    tier_rank,
)

__all__ = [
    "ANY_SYMPTOM",
    "BY_ID",
    "EMERGENCY_SIGNS",
    "RULES",
    "RULES_FINGERPRINT",
    "RULES_VERSION",
    "Care",
    "Rule",
    "RuleText",
    "Tier",
    "Triage",
    "assess",
    "fingerprint",
    "is_serious",
    "most_urgent",
    "rule_table",
    "shows_emergency_advice",
    "tier_alone",
    "tier_rank",
]


# --- The result -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Triage:
    tier: Tier
    rules: tuple[str, ...] = ()  # ids of the rules that fired, in table order
    signs: tuple[str, ...] = ()  # reported codes that made the report emergency or urgent, catalogue order
    notes_matches: tuple[str, ...] = ()  # warning signs the free text names, catalogue order
    needs_review: bool = False  # a common symptom graded severe or very severe
    version: str = RULES_VERSION

    @property
    def alerts_clinicians(self) -> bool:
        """Emergency and urgent reports alert the clinic's clinicians at once."""
        return self.tier is not Tier.ROUTINE

    @property
    def notes_emergency_signs(self) -> tuple[str, ...]:
        """Signs that are an emergency on their own, named in the notes but not ticked."""
        return tuple(code for code in self.notes_matches if code in EMERGENCY_SIGNS)

    @property
    def shows_emergency_advice(self) -> bool:
        return shows_emergency_advice(self.tier, self.notes_matches)


def shows_emergency_advice(tier: str, notes_signs: Iterable[str]) -> bool:
    """Whether the patient is told to call the emergency number: an emergency, or notes naming an emergency
    sign (the patient may have it now without having ticked it)."""
    return tier == Tier.EMERGENCY or any(code in EMERGENCY_SIGNS for code in notes_signs)


def assess(symptoms: Iterable[tuple[str, str]], *, notes: str = "", care: str = "") -> Triage:
    """Triage a report from its (symptom code, grade) pairs, the patient's notes and their care answer.

    Unknown codes raise KeyError and unknown grades or care answers ValueError: a report is validated
    before it gets here, and silently ignoring what a patient said would be unsafe. A code given twice
    counts at its worse grade. A warning sign may come without a grade (``catalogue.NOT_GIVEN``): it
    counts at the mildest, which is enough for every rule that reads it alone.
    """
    grades: dict[str, str] = {}
    for code, given in symptoms:
        symptom = catalogue.get(code)
        grade = Grade.MILD if given == catalogue.NOT_GIVEN and symptom.is_warning_sign else given
        if grade not in GRADE_RANK:
            raise ValueError(f"Unknown grade {grade!r} for {code!r}")
        if code not in grades or GRADE_RANK[grade] > GRADE_RANK[grades[code]]:
            grades[code] = grade
    care_answer = Care(care)
    notes_matches = red_flags.red_flags(notes)
    fired: list[Rule] = []
    signs: set[str] = set()
    for rule in RULES:
        codes = rule.match(grades, care=care_answer, notes_matches=notes_matches)
        if codes is None:
            continue
        fired.append(rule)
        if rule.tier is not Tier.ROUTINE:
            signs.update(codes)
    return Triage(
        tier=most_urgent(rule.tier for rule in fired),
        rules=tuple(rule.id for rule in fired),
        signs=catalogue.in_catalogue_order(signs),
        notes_matches=notes_matches,
        # Routine rules exist only to ask for a review.
        needs_review=any(rule.tier is Tier.ROUTINE for rule in fired),
    )


@dataclass(frozen=True, slots=True)
class RuleText:
    """A rule as a clinic admin reads it: what it looks for, in the catalogue's clinical names."""

    rule: Rule
    reads: tuple[StrOrPromise, ...]
    with_reads: tuple[StrOrPromise, ...]


def _names(codes: tuple[str, ...]) -> tuple[StrOrPromise, ...]:
    if ANY_SYMPTOM in codes:
        return (_("any symptom"),)
    return tuple(catalogue.get(code).clinical_name for code in codes)


def rule_table() -> tuple[RuleText, ...]:
    """The rule table in reading order, for the page that shows it to clinic staff."""
    return tuple(RuleText(rule, _names(rule.any_of), _names(rule.with_any_of)) for rule in RULES)


def tier_alone(code: str) -> Tier:
    """The tier of a report of this sign alone, at the mildest grade (what the sign itself calls for)."""
    return assess([(code, Grade.MILD)]).tier


def fingerprint() -> str:
    """A short hash of what decides a tier: each rule's id, tier and matching, the lexicon and the negations.

    Inputs to the matching only, as plain JSON (values of the enums, not their labels).

    Summaries and sources are left out: rewording them changes no decision.
    """
    table = [
        [
            rule.id,
            str(rule.tier),
            list(rule.any_of),
            str(rule.min_grade),
            list(rule.with_any_of),
            str(rule.with_min_grade),
            [str(c) for c in rule.care],
            rule.notes,
        ]
        for rule in RULES
    ]
    words_for = {code: [list(terms.en), list(terms.es)] for code, terms in lexicon.LEXICON.items()}
    words_for[""] = [list(lexicon.NOT_A_SIGN)]
    words = [
        sorted(lexicon.NEGATIONS),
        lexicon.NEGATION_WINDOW,
        sorted(lexicon.NOT_A_DENIAL),
        sorted(lexicon.CLAUSE_BREAKS),
        sorted(lexicon.NEGATIVE_STARTS),
    ]
    payload = json.dumps([table, words_for, words], sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]
