"""The words of pharmacovigilance: a clinician's assessment of one reported event, and its FHIR codes.

Pure Python, no database. Four lists, each with its source (docs/clinical-facts.md §7):

- ``Seriousness``: the criteria of a *serious* adverse event or reaction in ICH E2A (International
  Council for Harmonisation, "Clinical safety data management: definitions and standards for expedited
  reporting", E2A, 1994, section II.B). An event meeting none of them is non-serious.
- ``Causality``: the WHO-UMC system for standardised case causality assessment (Uppsala Monitoring
  Centre, "The use of the WHO-UMC system for standardised case causality assessment", 2013 edition).
- ``ActionTaken``: what was done with the product because of the event, in the E2B sense of "action
  taken with drug" (ICH E2B(R3) G.k.8), worded for IVIG: the rate, premedication, product or lot.
- ``Outcome``: the event's outcome at the time of the assessment (ICH E2B(R3) E.i.7).

Their FHIR codes are those of the HL7 FHIR R4 (4.0.1) AdverseEvent value sets, as the export is R4:
  adverse-event-seriousness  http://hl7.org/fhir/R4/valueset-adverse-event-seriousness.html
  adverse-event-outcome      http://hl7.org/fhir/R4/valueset-adverse-event-outcome.html
  adverse-event-causality-assess  http://hl7.org/fhir/R4/valueset-adverse-event-causality-assess.html
R4's seriousness and causality code systems (version 4.0.1) spell their codes "Serious", "Non-serious",
"Probably-Likely" …; later terminology releases lower-cased them, so a receiver on those should map case.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _

SERIOUSNESS_SYSTEM = "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness"
OUTCOME_SYSTEM = "http://terminology.hl7.org/CodeSystem/adverse-event-outcome"
CAUSALITY_SYSTEM = "http://terminology.hl7.org/CodeSystem/adverse-event-causality-assess"


class Seriousness(TextChoices):
    """ICH E2A (1994) II.B: a serious adverse event or reaction is one that meets any of these."""

    DEATH = "death", _("Results in death")
    LIFE_THREATENING = "life_threatening", _("Is life-threatening")
    HOSPITALISATION = "hospitalisation", _("Requires or prolongs hospitalisation")
    DISABILITY = "disability", _("Persistent or significant disability or incapacity")
    CONGENITAL_ANOMALY = "congenital_anomaly", _("Congenital anomaly or birth defect")
    MEDICALLY_IMPORTANT = "medically_important", _("Other medically important event")


class Causality(TextChoices):
    """WHO-UMC causality categories, from most to least certain."""

    CERTAIN = "certain", _("Certain")
    PROBABLE = "probable", _("Probable / likely")
    POSSIBLE = "possible", _("Possible")
    UNLIKELY = "unlikely", _("Unlikely")
    CONDITIONAL = "conditional", _("Conditional / unclassified")
    UNASSESSABLE = "unassessable", _("Unassessable / unclassifiable")


class ActionTaken(TextChoices):
    """What was done with the product because of the event."""

    NONE = "none", _("None (product continued unchanged)")
    RATE_REDUCED = "rate_reduced", _("Rate reduced")
    PREMEDICATION_ADDED = "premedication_added", _("Premedication added")
    PRODUCT_CHANGED = "product_changed", _("Product or lot changed")
    WITHDRAWN = "withdrawn", _("Stopped / withdrawn")


class Outcome(TextChoices):
    """The event's outcome when it was assessed."""

    RECOVERED = "recovered", _("Recovered / resolved")
    RECOVERING = "recovering", _("Recovering / resolving")
    NOT_RECOVERED = "not_recovered", _("Not recovered / not resolved")
    RECOVERED_WITH_SEQUELAE = "recovered_with_sequelae", _("Recovered with sequelae")
    FATAL = "fatal", _("Fatal")
    UNKNOWN = "unknown", _("Unknown")


def is_serious(criteria: Iterable[str]) -> bool:
    """ICH E2A: serious when any criterion is met; none met is non-serious. Unknown codes are refused."""
    criteria = list(criteria)
    unknown = set(criteria) - set(Seriousness.values)
    if unknown:
        raise ValueError(f"not ICH E2A seriousness criteria: {sorted(unknown)}")
    return bool(criteria)


def ordered_criteria(criteria: Iterable[str]) -> list[str]:
    """The criteria met, in ICH E2A's order (death first), each once."""
    met = set(criteria)
    return [value for value in Seriousness.values if value in met]


def consistency_error(*, criteria: Iterable[str], outcome: str) -> str | None:
    """Why a seriousness and an outcome contradict each other, or None.

    An event that "results in death" has a fatal outcome, and a fatal outcome is serious by that criterion.
    The database holds the same rule (EventAssessment's constraints).
    """
    death = Seriousness.DEATH in set(criteria)
    if outcome == Outcome.FATAL and not death:
        return str(_("A fatal outcome meets the “results in death” criterion: tick it."))
    if death and outcome != Outcome.FATAL:
        return str(_("An event that results in death has a fatal outcome."))
    return None


@dataclass(frozen=True)
class Coding:
    """One FHIR Coding (system, code, display)."""

    system: str
    code: str
    display: str

    def as_fhir(self) -> dict[str, str]:
        return {"system": self.system, "code": self.code, "display": self.display}


# R4's seriousness code system puts the E2A criteria under "Serious". "Other medically important event" has no
# code of its own there (R4's "SeriousRequiresPreventImpairment" is narrower): it is coded "Serious" alone.
_FHIR_SERIOUS = Coding(SERIOUSNESS_SYSTEM, "Serious", "Serious")
_FHIR_NON_SERIOUS = Coding(SERIOUSNESS_SYSTEM, "Non-serious", "Non-serious")
_FHIR_CRITERION: dict[str, Coding] = {
    Seriousness.DEATH: Coding(SERIOUSNESS_SYSTEM, "SeriousResultsInDeath", "Results in death"),
    Seriousness.LIFE_THREATENING: Coding(SERIOUSNESS_SYSTEM, "SeriousIsLifeThreatening", "Is Life-threatening"),
    Seriousness.HOSPITALISATION: Coding(
        SERIOUSNESS_SYSTEM, "SeriousResultsInHospitalization", "Requires or prolongs inpatient hospitalization"
    ),
    Seriousness.DISABILITY: Coding(
        SERIOUSNESS_SYSTEM,
        "SeriousResultsInDisability",
        "Results in persistent or significant disability/incapacity",
    ),
    Seriousness.CONGENITAL_ANOMALY: Coding(
        SERIOUSNESS_SYSTEM, "SeriousIsBirthDefect", "Is a congenital anomaly/birth defect"
    ),
}

FHIR_OUTCOME: dict[str, Coding] = {
    Outcome.RECOVERED: Coding(OUTCOME_SYSTEM, "resolved", "Resolved"),
    Outcome.RECOVERING: Coding(OUTCOME_SYSTEM, "recovering", "Recovering"),
    Outcome.NOT_RECOVERED: Coding(OUTCOME_SYSTEM, "ongoing", "Ongoing"),
    Outcome.RECOVERED_WITH_SEQUELAE: Coding(OUTCOME_SYSTEM, "resolvedWithSequelae", "Resolved with Sequelae"),
    Outcome.FATAL: Coding(OUTCOME_SYSTEM, "fatal", "Fatal"),
    Outcome.UNKNOWN: Coding(OUTCOME_SYSTEM, "unknown", "Unknown"),
}

FHIR_CAUSALITY: dict[str, Coding] = {
    Causality.CERTAIN: Coding(CAUSALITY_SYSTEM, "Certain", "Certain"),
    Causality.PROBABLE: Coding(CAUSALITY_SYSTEM, "Probably-Likely", "Probably/Likely"),
    Causality.POSSIBLE: Coding(CAUSALITY_SYSTEM, "Possible", "Possible"),
    Causality.UNLIKELY: Coding(CAUSALITY_SYSTEM, "Unlikely", "Unlikely"),
    Causality.CONDITIONAL: Coding(CAUSALITY_SYSTEM, "Conditional-Classified", "Conditional/Classified"),
    Causality.UNASSESSABLE: Coding(CAUSALITY_SYSTEM, "Unassessable-Unclassifiable", "Unassessable/Unclassifiable"),
}


def fhir_seriousness(criteria: Iterable[str]) -> list[Coding]:
    """The codings of AdverseEvent.seriousness for the criteria met.

    Non-serious when none is met; otherwise "Serious" and, when it has an R4 code, the first criterion met
    in ICH E2A's order (the same concept, more precisely). Every criterion goes in the CodeableConcept's text.
    """
    met = ordered_criteria(criteria)
    if not is_serious(met):
        return [_FHIR_NON_SERIOUS]
    codings = [_FHIR_SERIOUS]
    if met[0] in _FHIR_CRITERION:
        codings.append(_FHIR_CRITERION[met[0]])
    return codings
