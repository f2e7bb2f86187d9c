"""The symptom catalogue: what a patient can report after an IVIG infusion.

Pure Python, no database: codes are stable identifiers stored in reports, so a
code is never renamed or reused; labels may be reworded freely. Patients see
the plain-language ``label``; clinicians see ``clinical_name``.

Two families are kept apart everywhere (docs/clinical-facts.md §2): the common, mild,
transient reactions, and the warning signs of the rare severe reactions. How urgent a
report is follows from reactions/domain/triage.py's rule table, not from the family alone.

A *retired* symptom is still a valid code (old reports hold it, and triage still reads it) but is
not offered on new forms: ``OFFERED`` is what a form shows. Each warning sign belongs to a
``SignGroup``, a heading of the report form's one short "any of these warning signs?" screen.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import timedelta
from enum import StrEnum

from django.db.models import TextChoices
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

StrOrPromise = str | Promise


class Grade(TextChoices):
    """PRO-CTCAE-style severity grade given by the patient ("none" = not ticked)."""

    MILD = "mild", _("Mild")
    MODERATE = "moderate", _("Moderate")
    SEVERE = "severe", _("Severe")
    VERY_SEVERE = "very_severe", _("Very severe")


HIGH_GRADES: frozenset[str] = frozenset({Grade.SEVERE, Grade.VERY_SEVERE})


class Onset(TextChoices):
    """When a symptom began, relative to the infusion."""

    DURING = "during", _("During the infusion")
    WITHIN_1H = "within_1h", _("Within 1 hour after")
    H1_6 = "1_6h", _("1–6 hours after")
    H6_24 = "6_24h", _("6–24 hours after")
    D1_3 = "1_3d", _("1–3 days after")
    D3_7 = "3_7d", _("3–7 days after")
    OVER_7D = "over_7d", _("More than a week after")


# The earliest time after the infusion ended at which each onset can have begun:
# a symptom cannot have started "1–3 days after" an infusion that ended an hour ago.
ONSET_EARLIEST_AFTER_END: dict[str, timedelta] = {
    Onset.DURING: timedelta(0),
    Onset.WITHIN_1H: timedelta(0),
    Onset.H1_6: timedelta(hours=1),
    Onset.H6_24: timedelta(hours=6),
    Onset.D1_3: timedelta(days=1),
    Onset.D3_7: timedelta(days=3),
    Onset.OVER_7D: timedelta(days=7),
}


def onset_possible(onset: str, *, time_since_end: timedelta) -> bool:
    """Whether a symptom reported ``time_since_end`` after the infusion can have this onset."""
    return time_since_end >= ONSET_EARLIEST_AFTER_END[onset]


class Family(StrEnum):
    MILD = "mild"
    SEVERE = "severe"


class SevereType(StrEnum):
    """The rare severe reactions, by clinical name."""

    ANAPHYLAXIS = "anaphylaxis"
    ASEPTIC_MENINGITIS = "aseptic_meningitis"
    KIDNEY = "kidney"
    THROMBOSIS = "thrombosis"
    HAEMOLYSIS = "haemolysis"
    LUNG_INJURY = "lung_injury"


SEVERE_TYPE_NAMES: dict[SevereType, StrOrPromise] = {
    SevereType.ANAPHYLAXIS: _("Allergic reaction / anaphylaxis"),
    SevereType.ASEPTIC_MENINGITIS: _("Aseptic meningitis"),
    SevereType.KIDNEY: _("Acute kidney injury"),
    SevereType.THROMBOSIS: _("Thrombosis (blood clot)"),
    SevereType.HAEMOLYSIS: _("Haemolysis"),
    SevereType.LUNG_INJURY: _("Transfusion-related lung injury"),
}

# When each severe reaction typically appears, for clinicians reading a report.
SEVERE_TYPE_TIMING: dict[SevereType, StrOrPromise] = {
    SevereType.ANAPHYLAXIS: _("seconds to minutes after the start, during the infusion"),
    SevereType.ASEPTIC_MENINGITIS: _("typically 24–72 h, occasionally up to a week"),
    SevereType.KIDNEY: _("8 hours to 8 days, typically 2–4 days"),
    SevereType.THROMBOSIS: _("arterial: most within 24 h; venous: mostly after 24 h, up to 2 weeks"),
    SevereType.HAEMOLYSIS: _("12 hours to 10 days"),
    SevereType.LUNG_INJURY: _("1–6 hours"),
}


class SignGroup(TextChoices):
    """The headings of the warning-sign screen, in plain words, in the order the screen shows them.

    Each group holds signs of one tier only (tests/domain/test_checklist.py checks it against the rule
    table), so that the screen can put every sign that needs an ambulance first, under its own headings,
    and the signs that need a doctor today after them (reactions/domain/checklist.py).
    """

    # Signs that need an ambulance.
    BREATHING = "breathing", _("Breathing or swallowing")
    CHEST = "chest", _("Chest")
    STROKE = "stroke", _("Stroke signs: face, arm or leg, speech, sight or confusion")
    COLLAPSE = "collapse", _("Fainting")
    # Signs that need a doctor today.
    ALLERGY = "allergy", _("Hives, dizziness or heartbeat")
    HEAD = "head", _("Headache, eyes, vomiting or drowsiness")
    KIDNEYS = "kidneys", _("Urine, weight or swelling")
    BLOOD = "blood", _("Dark urine, yellow skin or eyes")
    LIMB = "limb", _("A leg or an arm")


@dataclass(frozen=True, slots=True)
class Symptom:
    code: str
    family: Family
    label: StrOrPromise  # plain language, shown to patients (translated lazily)
    clinical_name: StrOrPromise  # shown to clinicians
    severe_type: SevereType | None = None
    group: SignGroup | None = None  # warning signs only
    retired: bool = False  # still valid in stored reports, no longer offered on new forms

    @property
    def is_warning_sign(self) -> bool:
        return self.family is Family.SEVERE


def _mild(code: str, label: StrOrPromise, clinical_name: StrOrPromise) -> Symptom:
    return Symptom(code=code, family=Family.MILD, label=label, clinical_name=clinical_name)


def _sign(
    code: str,
    severe_type: SevereType,
    group: SignGroup,
    label: StrOrPromise,
    clinical_name: StrOrPromise,
    *,
    retired: bool = False,
) -> Symptom:
    return Symptom(
        code=code,
        family=Family.SEVERE,
        label=label,
        clinical_name=clinical_name,
        severe_type=severe_type,
        group=group,
        retired=retired,
    )


_A, _M, _K, _T, _H, _L = (
    SevereType.ANAPHYLAXIS,
    SevereType.ASEPTIC_MENINGITIS,
    SevereType.KIDNEY,
    SevereType.THROMBOSIS,
    SevereType.HAEMOLYSIS,
    SevereType.LUNG_INJURY,
)

_BREATHING, _CHEST, _STROKE, _COLLAPSE, _ALLERGY, _HEAD, _KIDNEYS, _BLOOD, _LIMB = SignGroup

SYMPTOMS: tuple[Symptom, ...] = (
    # Common, mild and transient.
    _mild("headache", _("Headache"), _("Headache")),
    _mild("fever", _("Fever or feeling hot"), _("Pyrexia")),
    _mild("chills", _("Chills or shivering"), _("Chills / rigors")),
    _mild("fatigue", _("Tiredness"), _("Fatigue")),
    _mild("nausea", _("Feeling sick (nausea)"), _("Nausea")),
    _mild("muscle_aches", _("Muscle or joint aches"), _("Myalgia / arthralgia")),
    _mild("rash", _("Itchy skin or a small rash"), _("Rash / pruritus")),
    # Warning signs, by the group the report form shows them in.
    _sign(
        "breathing_trouble", _A, _BREATHING, _("Trouble breathing, wheezing or gasping"), _("Bronchospasm / dyspnoea")
    ),
    # Face swelling is angioedema until proven otherwise: it belongs with the throat, not with the
    # slower swelling of kidney injury, so that a swollen face is never triaged below an emergency.
    _sign("throat_swelling", _A, _BREATHING, _("Swelling of the face, lips, tongue or throat"), _("Angioedema")),
    _sign(
        "widespread_hives", _A, _ALLERGY, _("Hives or itchy welts over much of the body"), _("Generalised urticaria")
    ),
    # Retired: near-duplicates of breathing_trouble; one breathing item is easier to answer than three.
    _sign(
        "sudden_breathless",
        _T,
        _BREATHING,
        _("Sudden shortness of breath or a racing pulse"),
        _("Acute dyspnoea / tachycardia"),
        retired=True,
    ),
    _sign(
        "hard_to_breathe",
        _L,
        _BREATHING,
        _("Very hard to breathe within hours of the infusion"),
        _("Acute respiratory distress"),
        retired=True,
    ),
    _sign("blue_lips", _L, _BREATHING, _("Blue lips or fingertips"), _("Cyanosis")),
    _sign(
        "chest_pain",
        _T,
        _CHEST,
        _("Chest pain or pressure, or pain on breathing in"),
        _("Chest pain (suspected MI or PE)"),
    ),
    _sign("fast_heartbeat", _H, _ALLERGY, _("A fast or pounding heartbeat"), _("Tachycardia / palpitations")),
    _sign("face_droop", _T, _STROKE, _("Face drooping on one side"), _("Facial droop (suspected stroke)")),
    _sign(
        "one_sided_weakness",
        _T,
        _STROKE,
        _("Weakness or numbness on one side of the body"),
        _("Focal weakness (suspected stroke)"),
    ),
    _sign(
        "trouble_speaking",
        _T,
        _STROKE,
        _("Trouble speaking or slurred speech"),
        _("Dysarthria / dysphasia (suspected stroke)"),
    ),
    _sign(
        "vision_loss",
        _T,
        _STROKE,
        _("Sudden loss of sight in one or both eyes"),
        _("Sudden visual loss (suspected stroke)"),
    ),
    _sign("sudden_confusion", _T, _STROKE, _("Sudden confusion"), _("Acute confusion")),
    _sign("collapse", _A, _COLLAPSE, _("Fainted or collapsed"), _("Syncope / collapse")),
    _sign("faint_collapse", _A, _ALLERGY, _("Feeling faint or dizzy"), _("Presyncope / dizziness")),
    _sign(
        "headache_stiff_neck",
        _M,
        _HEAD,
        _("Severe headache with a stiff neck"),
        _("Headache with nuchal rigidity"),
    ),
    _sign("light_hurts_eyes", _M, _HEAD, _("Light hurting your eyes"), _("Photophobia")),
    _sign("vomiting", _M, _HEAD, _("Vomiting"), _("Vomiting")),
    _sign("drowsiness", _M, _HEAD, _("Unusual drowsiness"), _("Altered consciousness")),
    _sign("less_urine", _K, _KIDNEYS, _("Passing much less urine than usual"), _("Oliguria")),
    _sign("sudden_weight_gain", _K, _KIDNEYS, _("Sudden weight gain"), _("Fluid retention")),
    _sign("swelling_legs_face", _K, _KIDNEYS, _("Swollen legs, ankles or face"), _("Oedema")),
    _sign("dark_urine", _H, _BLOOD, _("Dark or brown urine"), _("Haemoglobinuria")),
    _sign("yellow_skin_eyes", _H, _BLOOD, _("Yellow skin or yellow eyes"), _("Jaundice")),
    _sign(
        "painful_swollen_limb",
        _T,
        _LIMB,
        _("A painful, swollen, warm or red leg or arm"),
        _("Suspected deep vein thrombosis"),
    ),
)

BY_CODE: dict[str, Symptom] = {s.code: s for s in SYMPTOMS}
MILD_SYMPTOMS: tuple[Symptom, ...] = tuple(s for s in SYMPTOMS if s.family is Family.MILD)
WARNING_SIGNS: tuple[Symptom, ...] = tuple(s for s in SYMPTOMS if s.family is Family.SEVERE)
OFFERED: tuple[Symptom, ...] = tuple(s for s in SYMPTOMS if not s.retired)
OFFERED_WARNING_SIGNS: tuple[Symptom, ...] = tuple(s for s in WARNING_SIGNS if not s.retired)


def offered_warning_signs_by_group() -> tuple[tuple[SignGroup, tuple[Symptom, ...]], ...]:
    """The warning-sign screen: each group, in screen order, with the signs offered under it."""
    return tuple((group, tuple(s for s in OFFERED_WARNING_SIGNS if s.group is group)) for group in SignGroup)


_CATALOGUE_ORDER: dict[str, int] = {s.code: i for i, s in enumerate(SYMPTOMS)}


def in_catalogue_order(codes: Iterable[str]) -> tuple[str, ...]:
    """These codes, each once, in the order of the catalogue (the order patients see them)."""
    return tuple(sorted(set(codes), key=_CATALOGUE_ORDER.__getitem__))


# A warning sign ticked without a grade or an onset is still a report: the sign alone decides its tier, and
# a patient who must call an ambulance must never be held back by a question on the form.
NOT_GIVEN = ""
NOT_GIVEN_LABEL: StrOrPromise = _("not given")


def get(code: str) -> Symptom:
    """The symptom with this code; KeyError for an unknown code."""
    return BY_CODE[code]


def get_translated(code: str) -> Symptom:
    """The symptom with label and clinical_name as plain strings in the active language.

    For code that compares, sorts or joins the texts, where a lazy translation would not do.
    """
    symptom = BY_CODE[code]
    return replace(symptom, label=str(symptom.label), clinical_name=str(symptom.clinical_name))


def choices() -> list[tuple[str, StrOrPromise]]:
    """(code, label) pairs for a model field's choices: retired codes too, as stored reports hold them."""
    return [(s.code, s.label) for s in SYMPTOMS]
