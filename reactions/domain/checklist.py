"""The report form's warning-sign screen: every offered sign, most urgent tier first, under its group's heading.

Pure Python, no database. Which tier a sign belongs to is the rule table's answer for that sign alone
(``triage.tier_alone``), never a second list kept here; the catalogue's ``SignGroup`` only names the
headings. A sign whose group's heading already appeared under another tier still gets shown, under a
second copy of the heading: no sign is ever left off the screen (tests/domain/test_checklist.py also
checks that no group spans two tiers, so that this does not happen).
"""

from __future__ import annotations

from dataclasses import dataclass

from reactions.domain import catalogue, triage
from reactions.domain.catalogue import SignGroup, Symptom
from reactions.domain.tiers import Tier


@dataclass(frozen=True, slots=True)
class SignSection:
    """The signs that call for one tier on their own, by group, in screen order."""

    tier: Tier
    groups: tuple[tuple[SignGroup, tuple[Symptom, ...]], ...]


def warning_sign_sections() -> tuple[SignSection, ...]:
    """Emergency signs first, then urgent ones (then any other, should the table ever make one routine)."""
    screen = catalogue.offered_warning_signs_by_group()
    sections = []
    for tier in sorted(Tier, key=lambda tier: -tier.rank):
        groups = []
        for group, signs in screen:
            in_tier = tuple(sign for sign in signs if triage.tier_alone(sign.code) is tier)
            if in_tier:
                groups.append((group, in_tier))
        if groups:
            sections.append(SignSection(tier=tier, groups=tuple(groups)))
    return tuple(sections)
