"""Which warning signs each prompt names, by its offset: pure, no database."""

from __future__ import annotations

import pytest

from reactions.domain import triage
from reactions.domain.tiers import most_urgent
from reactions.domain.warning_windows import WINDOWS, warning_window


@pytest.mark.parametrize(
    ("offset_hours", "window"),
    [
        (0, "first_hours"),
        (2, "first_hours"),
        (6, "first_hours"),
        (12, "first_hours"),  # a bound belongs to the earlier window
        (13, "first_days"),
        (24, "first_days"),
        (48, "first_days"),
        (72, "first_days"),
        (96, "first_days"),
        (97, "first_weeks"),
        (120, "first_weeks"),
        (168, "first_weeks"),
        (240, "first_weeks"),
        (336, "first_weeks"),
        (504, "first_weeks"),  # the longest offset a clinic may set (three weeks)
    ],
)
def test_each_offset_names_the_signs_of_its_window(offset_hours, window):
    assert warning_window(offset_hours).key == window


def test_the_windows_name_the_signs_of_their_reactions():
    words = {w.key: " ".join(str(sign.words) for sign in w.signs) for w in WINDOWS}
    assert all(sign in words["first_hours"] for sign in ("breathing", "swelling", "lips", "throat", "hives"))
    assert all(sign in words["first_days"] for sign in ("headache", "stiff neck", "light", "urine"))
    assert all(sign in words["first_weeks"] for sign in ("leg", "chest pain", "breathlessness", "dark urine", "yellow"))


def test_a_prompt_comes_after_the_infusion():
    with pytest.raises(ValueError):
        warning_window(-1)


def test_each_sign_calls_the_number_the_triage_table_gives_its_symptoms():
    for window in WINDOWS:
        for sign in window.signs:
            assert sign.tier == most_urgent(triage.tier_alone(code) for code in sign.codes), sign.words


def test_every_window_has_signs_and_the_emergency_ones_come_apart():
    for window in WINDOWS:
        assert window.signs
        assert len(window.emergency_signs) + len(window.urgent_signs) == len(window.signs)
    assert warning_window(2).emergency_signs and warning_window(168).emergency_signs
    assert not warning_window(24).emergency_signs
