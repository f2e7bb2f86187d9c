"""Triage: how soon a person must act on a reaction report, from the patient's own answers.

Pure Python, no database, no request. Three tiers (docs/clinical-facts.md §6):

- emergency: the patient is told to call the emergency number now, and clinicians are alerted at once;
- urgent, today: the patient is told to call the clinic now (or its out-of-hours line), and clinicians
  are alerted at once;
- routine: everything else; a common symptom graded severe also asks for a clinician's review.

One rule table (``RULES``) decides, read top to bottom; a report takes the most urgent tier of the
rules it fires. ``RULES_VERSION`` names the table and is stored with each result, so that a decision
can be traced to the rules that made it; ``RULES_FINGERPRINT`` records what the table held when the
version was named, and a test fails when the table (or the free-text lexicon) changes without a new
version.

The patient's free text is read too (``lexicon.LEXICON``): a warning sign named in English or Spanish makes the
report at least urgent, never an emergency by itself, because the patient did not tick the sign and the
words may be hearsay, history or worry. What is shown to the patient for such a match is the caller's
choice (``Triage.shows_emergency_advice``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _

from reactions.domain import catalogue, lexicon, red_flags
from reactions.domain.catalogue import Grade, StrOrPromise

# Bump RULES_VERSION (year-month.n) whenever RULES, LEXICON or the negation words change, and record
# the new fingerprint() beside it; tests/domain/test_triage.py also keeps every released pair.
RULES_VERSION = "2026-12.1"
RULES_FINGERPRINT = "a38ce9156857d8c4"


class Tier(TextChoices):
    """How soon someone must act, most urgent first. Compare with ``rank``, never as strings."""

    EMERGENCY = "emergency", _("Emergency")
    URGENT = "urgent", _("Urgent, today")
    ROUTINE = "routine", _("Routine")

    @property
    def rank(self) -> int:
        return tier_rank(self)


_TIER_RANK: dict[str, int] = {Tier.ROUTINE: 0, Tier.URGENT: 1, Tier.EMERGENCY: 2}


def tier_rank(tier: str) -> int:
    """Higher is more urgent: emergency 2, urgent 1, routine 0. KeyError for an unknown tier."""
    return _TIER_RANK[tier]


def most_urgent(tiers: Iterable[str]) -> Tier:
    """The most urgent of these tiers; routine when there are none."""
    return Tier(max(tiers, key=tier_rank, default=Tier.ROUTINE))


class Care(TextChoices):
    """The patient's answer to "Did you need medical care?"."""

    NOT_ANSWERED = "", _("Not answered")
    NONE = "none", _("No")
    GP_CLINIC = "gp_clinic", _("GP or clinic")
    URGENT_CARE = "urgent_care", _("Urgent care or A&E")
    ADMITTED = "admitted", _("Admitted to hospital")


def is_serious(care: str) -> bool:
    """Whether this answer alone makes the event *serious* in the ICH E2A sense [18].

    Only admission: E2A's criterion is "requires inpatient hospitalisation or prolongation of existing
    hospitalisation". A visit to urgent care or A&E without admission is not serious by that criterion
    alone (a clinician may still judge the event medically important). ValueError for an unknown answer.
    """
    return Care(care) is Care.ADMITTED


_GRADE_RANK: dict[str, int] = {grade: rank for rank, grade in enumerate(Grade.values)}  # mild 0 .. very severe 3

ANY_SYMPTOM = "*"  # in Rule.any_of: any code of the catalogue, mild or warning sign


@dataclass(frozen=True, slots=True)
class Rule:
    """One line of the table. A symptom rule fires when a code of ``any_of`` is reported at
    ``min_grade`` or worse and, if ``with_any_of`` is set, a different code of it at ``with_min_grade``
    or worse; a care rule when the care answer is one of ``care``; the notes rule when the free text
    names a warning sign."""

    id: str
    tier: Tier
    summary: StrOrPromise  # for clinicians and clinic admins: what fired and why it matters
    source: str  # numbered references of docs/clinical-facts.md, or "local" for the clinic's own policy
    any_of: tuple[str, ...] = ()
    min_grade: Grade = Grade.MILD
    with_any_of: tuple[str, ...] = ()
    with_min_grade: Grade = Grade.MILD
    care: tuple[Care, ...] = ()
    notes: bool = False

    def codes(self) -> tuple[str, ...]:
        """Every catalogue code this rule reads (ANY_SYMPTOM stands for all)."""
        return self.any_of + self.with_any_of

    def match(self, grades: Mapping[str, str], *, care: Care, notes_matches: tuple[str, ...]) -> tuple[str, ...] | None:
        """None when the rule does not fire; else the reported codes that made it fire (maybe none)."""
        if self.notes:
            return () if notes_matches else None
        if self.care:
            return () if care in self.care else None
        first = {
            code
            for code, grade in grades.items()
            if (ANY_SYMPTOM in self.any_of or code in self.any_of) and _GRADE_RANK[grade] >= _GRADE_RANK[self.min_grade]
        }
        if not first:
            return None
        if not self.with_any_of:
            return catalogue.in_catalogue_order(first)
        second = {
            code
            for code, grade in grades.items()
            if code in self.with_any_of and _GRADE_RANK[grade] >= _GRADE_RANK[self.with_min_grade]
        }
        # Two different symptoms: one symptom cannot be its own companion.
        pairs = {(a, b) for a in first for b in second if a != b}
        if not pairs:
            return None
        return catalogue.in_catalogue_order({code for pair in pairs for code in pair})


_E, _U, _R = Tier.EMERGENCY, Tier.URGENT, Tier.ROUTINE

# The signs of an allergic reaction that turn "feeling faint" into an emergency: with them, faintness
# is read as the circulation problem of anaphylaxis [15]. Vomiting counts: gastrointestinal symptoms are a
# recognised feature of anaphylaxis, and a vomiting patient who feels faint is losing fluid and pressure.
# Nausea and a small rash do not: both are common, mild reactions to IVIG itself.
_ALLERGY_SIGNS = (
    "breathing_trouble",
    "throat_swelling",
    "widespread_hives",
    "sudden_breathless",
    "hard_to_breathe",
    "vomiting",
)

RULES: tuple[Rule, ...] = (
    # --- Emergency: call the emergency number now. Any grade: a patient may under-grade a sign that kills.
    Rule(
        "E-breathing",
        _E,
        _(
            "Trouble breathing or wheezing: possible anaphylaxis, lung injury (TRALI) or a clot in the lung. The two "
            "breathing items of older forms count too."
        ),
        "[3, 4, 8, 15]",
        any_of=("breathing_trouble", "sudden_breathless", "hard_to_breathe"),
    ),
    Rule(
        "E-swelling",
        _E,
        _(
            "Swelling of the face, lips, tongue or throat: possible anaphylaxis (angioedema), which can close the "
            "airway."
        ),
        "[3, 4, 15]",
        any_of=("throat_swelling",),
    ),
    Rule(
        "E-cyanosis",
        _E,
        _("Blue lips or fingertips: not enough oxygen (lung injury, anaphylaxis or a clot in the lung)."),
        "[3, 15]",
        any_of=("blue_lips",),
    ),
    Rule(
        "E-chest",
        _E,
        _(
            "Chest pain or pressure, or pain on breathing in: possible heart attack or a clot in the lung (IVIG "
            "carries a boxed warning for thrombosis)."
        ),
        "[3, 8, 16]",
        any_of=("chest_pain",),
    ),
    Rule(
        "E-stroke",
        _E,
        _(
            "Face drooping, weakness or numbness on one side, or trouble speaking: possible stroke (FAST). In MS "
            "this is easily taken for a relapse, so it is never left to the patient to judge."
        ),
        "[3, 8, 13]",
        any_of=("face_droop", "one_sided_weakness", "trouble_speaking"),
    ),
    Rule(
        "E-vision",
        _E,
        _(
            "Sudden loss of sight in one or both eyes: possible stroke or a blocked artery of the eye. Optic neuritis "
            "is likelier in MS, but cannot be told apart from home."
        ),
        "[3, 8, 13]",
        any_of=("vision_loss",),
    ),
    Rule(
        "E-confusion",
        _E,
        _("Sudden confusion: possible stroke, lack of oxygen or severe meningitis."),
        "[3, 8, 13]",
        any_of=("sudden_confusion",),
    ),
    Rule(
        "E-collapse",
        _E,
        _(
            "Fainted or collapsed (a fit counts too): possible anaphylaxis with low blood pressure, a heart rhythm "
            "problem or a clot."
        ),
        "[3, 4, 15]",
        any_of=("collapse",),
    ),
    Rule(
        "E-faint-allergy",
        _E,
        _(
            "Feeling faint or dizzy together with another allergy sign (hives, swelling, trouble breathing or "
            "vomiting): possible anaphylaxis with falling blood pressure."
        ),
        "[3, 4, 15]",
        any_of=("faint_collapse",),
        with_any_of=_ALLERGY_SIGNS,
    ),
    # --- Urgent, today: call the clinic now, or its out-of-hours line.
    Rule(
        "U-very-severe",
        _U,
        _(
            "A symptom the patient graded very severe, whatever it is: the worst grade of the scale is never left "
            "for a routine review."
        ),
        "[14]; local",
        any_of=(ANY_SYMPTOM,),
        min_grade=Grade.VERY_SEVERE,
    ),
    Rule(
        "U-meningitis",
        _U,
        _(
            "A severe headache with fever, vomiting, light hurting the eyes, a stiff neck or unusual drowsiness: "
            "possible aseptic meningitis."
        ),
        "[3, 10]",
        any_of=("headache",),
        min_grade=Grade.SEVERE,
        with_any_of=("fever", "vomiting", "light_hurts_eyes", "headache_stiff_neck", "drowsiness"),
    ),
    Rule(
        "U-stiff-neck",
        _U,
        _("A severe headache with a stiff neck, at whatever grade the patient gives it: possible aseptic meningitis."),
        "[3, 10]",
        any_of=("headache_stiff_neck",),
    ),
    Rule(
        "U-fever-rigors",
        _U,
        _(
            "Fever graded severe or very severe, with chills or shivering: a severe infusion reaction, lung injury "
            "or an infection needs ruling out today."
        ),
        "[3, 6, 7]",
        any_of=("fever",),
        min_grade=Grade.SEVERE,
        with_any_of=("chills",),
    ),
    Rule(
        "U-kidney",
        _U,
        _(
            "Much less urine, sudden weight gain, or swollen legs, ankles or face: possible acute kidney injury (a "
            "boxed warning of IVIG); needs a blood test today."
        ),
        "[3, 4, 11]",
        any_of=("less_urine", "sudden_weight_gain", "swelling_legs_face"),
    ),
    Rule(
        "U-haemolysis",
        _U,
        _(
            "Dark or brown urine, or yellow skin or eyes: possible haemolysis (breakdown of red blood cells); needs "
            "a blood count today."
        ),
        "[3, 12]",
        any_of=("dark_urine", "yellow_skin_eyes"),
    ),
    Rule(
        "U-limb",
        _U,
        _(
            "A painful, swollen, warm or red leg or arm: possible deep vein thrombosis; NICE asks for a scan within "
            "4 hours where possible."
        ),
        "[3, 8, 9, 17]",
        any_of=("painful_swollen_limb",),
    ),
    Rule(
        "U-faint",
        _U,
        _(
            "Feeling faint or dizzy: possible low blood pressure or an allergic reaction starting. With another "
            "allergy sign it is an emergency (E-faint-allergy)."
        ),
        "[3, 4, 15]",
        any_of=("faint_collapse",),
    ),
    Rule(
        "U-hives",
        _U,
        _(
            "Hives over much of the body: an allergic reaction that can get worse. With feeling faint it is an "
            "emergency (E-faint-allergy)."
        ),
        "[3, 4, 15]",
        any_of=("widespread_hives",),
    ),
    Rule(
        "U-head",
        _U,
        _(
            "Vomiting, light hurting the eyes, or unusual drowsiness: possible aseptic meningitis (vomiting may also "
            "be part of an allergic reaction)."
        ),
        "[3, 10, 15]",
        any_of=("vomiting", "light_hurts_eyes", "drowsiness"),
    ),
    Rule(
        "U-heartbeat",
        _U,
        _(
            "A fast or pounding heartbeat: possible haemolysis, a clot in the lung, a heart rhythm problem or low "
            "blood pressure."
        ),
        "[3, 8, 12]",
        any_of=("fast_heartbeat",),
    ),
    Rule(
        "U-care",
        _U,
        _(
            "The patient needed urgent care or A&E, or was admitted to hospital: the clinic hears at once, whatever "
            "the symptoms (an admission also makes the event serious)."
        ),
        "local; [18]",
        care=(Care.URGENT_CARE, Care.ADMITTED),
    ),
    Rule(
        "U-notes",
        _U,
        _(
            "The patient's own words name a warning sign (in English or Spanish): the report is at least urgent, so "
            "that someone reads it and calls today. Never an emergency by itself: the patient did not tick the "
            "sign, and the words may be about the past or someone else."
        ),
        "local",
        notes=True,
    ),
    # --- Routine, with a review flag: no alert, a clinician looks at the report.
    Rule(
        "R-review",
        _R,
        _("A common symptom graded severe or very severe: no alert, but a clinician reviews the report."),
        "[6, 7, 14]",
        any_of=tuple(s.code for s in catalogue.MILD_SYMPTOMS),
        min_grade=Grade.SEVERE,
    ),
)

BY_ID: Mapping[str, Rule] = MappingProxyType({rule.id: rule for rule in RULES})

# Signs that make a report an emergency on their own, whatever else is reported.
EMERGENCY_SIGNS: frozenset[str] = frozenset(
    code for rule in RULES if rule.tier is Tier.EMERGENCY and not rule.with_any_of for code in rule.any_of
)


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
        """Whether the patient should see the emergency advice: an emergency, or notes naming an emergency sign."""
        return self.tier is Tier.EMERGENCY or bool(self.notes_emergency_signs)


def assess(symptoms: Iterable[tuple[str, str]], *, notes: str = "", care: str = "") -> Triage:
    """Triage a report from its (symptom code, grade) pairs, the patient's notes and their care answer.

    Unknown codes raise KeyError and unknown grades or care answers ValueError: a report is validated
    before it gets here, and silently ignoring what a patient said would be unsafe. A code given twice
    counts at its worse grade.
    """
    grades: dict[str, str] = {}
    for code, grade in symptoms:
        catalogue.get(code)
        if grade not in _GRADE_RANK:
            raise ValueError(f"Unknown grade {grade!r} for {code!r}")
        if code not in grades or _GRADE_RANK[grade] > _GRADE_RANK[grades[code]]:
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
