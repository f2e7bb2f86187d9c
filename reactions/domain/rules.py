"""The triage rule table: what each reported sign, combination, care answer or note calls for, and why.

Pure Python, no database, read top to bottom; a report takes the most urgent tier of the rules it fires
(reactions/domain/triage.py). Each rule names its sources, numbered as in docs/clinical-facts.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from django.utils.translation import gettext_lazy as _

from reactions.domain import catalogue
from reactions.domain.catalogue import Grade
from reactions.domain.tiers import ANY_SYMPTOM, Care, Rule, Tier

# Bump RULES_VERSION (year-month.n) whenever RULES, LEXICON or the negation words change, and record
# the new fingerprint() beside it; tests/domain/test_triage.py also keeps every released pair.
RULES_VERSION = "2026-12.1"
RULES_FINGERPRINT = "a38ce9156857d8c4"

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
