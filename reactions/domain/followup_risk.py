"""Risk-adaptive follow-up: which extra prompts a patient's risk adds, and why. Pure: no database.

One table (RULES): each reason has a plain-language label, the extra prompts it adds (among +6 h, +48 h
and +120 h after the infusion or course ends) and its sources in docs/clinical-facts.md. One function
(followup_risk) reads the patient's and the infusions' facts and returns the union of the extra prompts,
the reasons that fired, and what it could not check for want of data (never guessed). The engine schedules
the clinic's prompts plus these (reactions/services/followups.py); docs/clinical-safety.md H-30.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import TextChoices
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from reactions.domain.vitals import RateUnit

# The three extra prompts risk can add: the end of lung injury's window (1–6 h); the middle of the
# meningitis, kidney and haemolysis windows (24–72 h, 2–4 days, blood count at 36–96 h); and the gap
# between +72 h and +7 days, where kidney injury, haemolysis and venous clots still appear.
EXTRA_OFFSETS_HOURS: tuple[int, ...] = (6, 48, 120)
AGE_THRESHOLD_YEARS = 65
HIGH_DOSE_G_PER_KG_PER_DAY = Decimal("1")
# The labelled maximum of the 10% products (0.08 mL/kg/min = 4.8 mL/kg/h, docs/clinical-facts.md §1):
# each clinic may lower it.
DEFAULT_RATE_THRESHOLD_ML_KG_H = Decimal("4.8")


class Reason(TextChoices):
    THROMBOSIS_HISTORY = "thrombosis_history", _("history of thrombosis")
    KIDNEY_DISEASE = "kidney_disease", _("kidney disease")
    DIABETES = "diabetes", _("diabetes")
    PREGNANCY_POSTPARTUM = "pregnancy_postpartum", _("pregnant or recently given birth")
    REDUCED_MOBILITY = "reduced_mobility", _("reduced mobility")
    AGE_OVER_65 = "age_over_65", _("aged over 65")
    IGA_DEFICIENCY = "iga_deficiency", _("IgA deficiency")
    FIRST_INFUSION = "first_infusion", _("first infusion")
    FIRST_PRODUCT = "first_product", _("first infusion with this product")
    FIRST_LOT = "first_lot", _("first infusion with this lot")
    HIGH_DOSE = "high_dose", _("dose of 1 g/kg or more in a day")
    FAST_RATE = "fast_rate", _("rate above the clinic's threshold")


class Unknown(TextChoices):
    """A rule that could not be checked: said, not guessed."""

    BIRTH_YEAR = "birth_year", _("year of birth not recorded: age over 65 cannot be checked")
    WEIGHT_FOR_DOSE = "weight_for_dose", _("weight not recorded: a dose of 1 g/kg or more cannot be checked")
    WEIGHT_FOR_RATE = "weight_for_rate", _("weight not recorded: a rate in mL/h cannot be compared in mL/kg/h")
    LOT = "lot", _("lot number not recorded: a first infusion with a new lot cannot be checked")


@dataclass(frozen=True)
class RiskRule:
    reason: Reason
    extra_offsets_hours: tuple[int, ...]
    watches_for: Promise
    sources: str  # numbers of docs/clinical-facts.md's sources

    @property
    def label(self) -> str:
        return str(self.reason.label)


_CLOTS_KIDNEY = _("clots and kidney injury, days to two weeks after")
_EARLY = _("infusion reactions and lung injury, in the first hours")

RULES: tuple[RiskRule, ...] = (
    RiskRule(Reason.THROMBOSIS_HISTORY, (48, 120), _CLOTS_KIDNEY, "3, 4, 8, 9"),
    RiskRule(Reason.KIDNEY_DISEASE, (48, 120), _("kidney injury, typically 2–4 days after"), "3, 4, 11"),
    RiskRule(Reason.DIABETES, (48, 120), _CLOTS_KIDNEY, "3, 4, 11"),
    RiskRule(Reason.PREGNANCY_POSTPARTUM, (48, 120), _("clots, days to two weeks after"), "1, 3, 8"),
    RiskRule(Reason.REDUCED_MOBILITY, (48, 120), _("clots, days to two weeks after"), "3, 4, 8"),
    RiskRule(Reason.AGE_OVER_65, (48, 120), _CLOTS_KIDNEY, "3, 4, 8, 11"),
    RiskRule(Reason.IGA_DEFICIENCY, (6,), _("allergic reactions, in the first hours"), "3, 4, 6"),
    RiskRule(Reason.FIRST_INFUSION, (6, 48), _("infusion reactions and meningitis"), "6, 7, 10"),
    RiskRule(Reason.FIRST_PRODUCT, (6, 48), _("infusion reactions and meningitis"), "6, 7"),
    RiskRule(Reason.FIRST_LOT, (6,), _EARLY, "6, 7"),
    RiskRule(Reason.HIGH_DOSE, (48, 120), _("meningitis, haemolysis, kidney injury and clots"), "3, 4, 10, 12"),
    RiskRule(Reason.FAST_RATE, (6, 48), _("infusion reactions, meningitis and clots"), "3, 4, 7"),
)
RULES_BY_REASON: dict[str, RiskRule] = {rule.reason: rule for rule in RULES}


@dataclass(frozen=True)
class PatientFactors:
    """What the clinician recorded on the patient."""

    thrombosis_history: bool = False
    kidney_disease: bool = False
    diabetes: bool = False
    pregnancy_postpartum: bool = False
    reduced_mobility: bool = False
    iga_deficiency: bool = False
    birth_year: int | None = None
    weight_kg: Decimal | None = None


@dataclass(frozen=True)
class InfusionFactors:
    """One given infusion (one day of a course), as compared with the patient's earlier ones."""

    local_date: date
    first_infusion: bool = False
    first_with_product: bool = False
    first_with_lot: bool = False
    lot_recorded: bool = True
    dose_grams_that_day: Decimal | None = None  # every infusion of the patient on that local date
    rates: tuple[tuple[Decimal, str], ...] = ()  # (rate, RateUnit) of each rate change


@dataclass(frozen=True)
class FollowupRisk:
    extra_offsets_hours: tuple[int, ...]
    reasons: tuple[Reason, ...]  # in the table's order
    unknowns: tuple[Unknown, ...]

    @property
    def rules(self) -> list[RiskRule]:
        return [RULES_BY_REASON[reason] for reason in self.reasons]

    @property
    def labels(self) -> list[str]:
        return [str(reason.label) for reason in self.reasons]


_PATIENT_FLAGS: tuple[tuple[str, Reason], ...] = (
    ("thrombosis_history", Reason.THROMBOSIS_HISTORY),
    ("kidney_disease", Reason.KIDNEY_DISEASE),
    ("diabetes", Reason.DIABETES),
    ("pregnancy_postpartum", Reason.PREGNANCY_POSTPARTUM),
    ("reduced_mobility", Reason.REDUCED_MOBILITY),
    ("iga_deficiency", Reason.IGA_DEFICIENCY),
)


def patient_reasons(patient: PatientFactors) -> list[Reason]:
    """The reasons recorded on the patient alone (age apart: it depends on the infusion's date)."""
    return [reason for name, reason in _PATIENT_FLAGS if getattr(patient, name)]


def followup_risk(
    *,
    patient: PatientFactors,
    infusions: Sequence[InfusionFactors],
    rate_threshold_ml_kg_h: Decimal = DEFAULT_RATE_THRESHOLD_ML_KG_H,
) -> FollowupRisk:
    """The extra prompts for a patient's infusion (or course: every day's facts count), and why."""
    fired: set[Reason] = set(patient_reasons(patient))
    unknown: set[Unknown] = set()
    if infusions:
        # Counted in years of birth: someone turning 66 this year is at least 65 (the safer side).
        latest = max(i.local_date for i in infusions)
        if patient.birth_year is None:
            unknown.add(Unknown.BIRTH_YEAR)
        elif latest.year - patient.birth_year > AGE_THRESHOLD_YEARS:
            fired.add(Reason.AGE_OVER_65)
    weight = patient.weight_kg if patient.weight_kg and patient.weight_kg > 0 else None
    for infusion in infusions:
        if infusion.first_infusion:
            fired.add(Reason.FIRST_INFUSION)
        if infusion.first_with_product:
            fired.add(Reason.FIRST_PRODUCT)
        if not infusion.lot_recorded:
            unknown.add(Unknown.LOT)
        elif infusion.first_with_lot:
            fired.add(Reason.FIRST_LOT)
        if infusion.dose_grams_that_day is not None:
            if weight is None:
                unknown.add(Unknown.WEIGHT_FOR_DOSE)
            elif infusion.dose_grams_that_day / weight >= HIGH_DOSE_G_PER_KG_PER_DAY:
                fired.add(Reason.HIGH_DOSE)
        for rate, unit in infusion.rates:
            per_kg = _rate_per_kg(rate, unit, weight)
            if per_kg is None:
                unknown.add(Unknown.WEIGHT_FOR_RATE)
            elif per_kg > rate_threshold_ml_kg_h:
                fired.add(Reason.FAST_RATE)
    rules = [rule for rule in RULES if rule.reason in fired]
    return FollowupRisk(
        extra_offsets_hours=tuple(sorted({h for rule in rules for h in rule.extra_offsets_hours})),
        reasons=tuple(rule.reason for rule in rules),
        unknowns=tuple(u for u in Unknown if u in unknown),
    )


def _rate_per_kg(rate: Decimal, unit: str, weight: Decimal | None) -> Decimal | None:
    if unit == RateUnit.ML_KG_H:
        return rate
    return rate / weight if weight is not None else None
