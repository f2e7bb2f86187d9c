"""The SMS alphabet: what one SMS can carry, and how long a text is in it."""

from __future__ import annotations

import pytest

from reactions.domain.gsm import gsm_length, not_gsm


def test_plain_letters_and_the_spanish_ones_gsm_7_has_count_one_each():
    assert gsm_length("ivigtrack: ¿todo bien? Cita mañana, é") == 37


def test_the_extension_characters_count_two_each():
    assert gsm_length("€[]") == 6


@pytest.mark.parametrize("char", ["á", "í", "ó", "ú", "’", "“", "🙂", "\t"])
def test_a_character_gsm_7_does_not_have_is_refused(char):
    assert not_gsm(f"Cl{char}nica{char}") == [char]
    with pytest.raises(ValueError, match="not GSM-7"):
        gsm_length(f"Cl{char}nica")
