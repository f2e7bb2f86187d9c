"""The warning-sign screen of the report form: every sign once, ambulance signs first, one tier per heading."""

from __future__ import annotations

from reactions.domain import catalogue, checklist, triage
from reactions.domain.catalogue import SignGroup
from reactions.domain.tiers import Tier


def test_every_offered_warning_sign_is_on_the_screen_once():
    shown = [
        sign.code for section in checklist.warning_sign_sections() for _g, signs in section.groups for sign in signs
    ]
    assert sorted(shown) == sorted(s.code for s in catalogue.OFFERED_WARNING_SIGNS)
    assert len(shown) == len(set(shown))


def test_the_signs_that_need_an_ambulance_come_first_then_those_that_need_a_doctor_today():
    sections = checklist.warning_sign_sections()
    assert [section.tier for section in sections] == [Tier.EMERGENCY, Tier.URGENT]
    for section in sections:
        for _group, signs in section.groups:
            assert {triage.tier_alone(sign.code) for sign in signs} == {section.tier}
    emergency = {sign.code for _g, signs in sections[0].groups for sign in signs}
    assert emergency == set(triage.EMERGENCY_SIGNS) & {s.code for s in catalogue.OFFERED_WARNING_SIGNS}


def test_each_heading_appears_once_so_no_group_mixes_two_tiers():
    headings = [group for section in checklist.warning_sign_sections() for group, _signs in section.groups]
    assert sorted(headings) == sorted(SignGroup)
    assert [group for group, _signs in checklist.warning_sign_sections()[0].groups] == [
        SignGroup.BREATHING,
        SignGroup.CHEST,
        SignGroup.STROKE,
        SignGroup.COLLAPSE,
    ]


def test_the_three_breathing_items_of_older_forms_are_one_item_under_one_heading():
    breathing = dict(checklist.warning_sign_sections()[0].groups)[SignGroup.BREATHING]
    assert [sign.code for sign in breathing] == ["breathing_trouble", "throat_swelling", "blue_lips"]
    # The two retired ones stay valid codes that triage still reads as emergencies.
    for code in ("sudden_breathless", "hard_to_breathe"):
        assert catalogue.get(code).retired
        assert triage.tier_alone(code) is Tier.EMERGENCY
