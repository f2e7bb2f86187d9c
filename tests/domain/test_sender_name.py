"""The name a clinic's texts and notifications start with: short, GSM-7 only, never empty."""

from __future__ import annotations

import pytest

from reactions.domain.sender_name import DEFAULT_SENDER_NAME, SENDER_NAME_MAX_LENGTH, sender_name_parse


def test_a_plain_name_is_kept_with_its_spaces_made_single():
    assert sender_name_parse("  Riverside   clinic ") == "Riverside clinic"
    assert sender_name_parse(DEFAULT_SENDER_NAME) == "ivigtrack"


def test_twenty_characters_are_allowed_and_twenty_one_are_not():
    assert sender_name_parse("R" * SENDER_NAME_MAX_LENGTH) == "R" * 20
    with pytest.raises(ValueError, match="20 characters"):
        sender_name_parse("R" * 21)


def test_a_character_gsm_7_writes_in_two_counts_twice():
    assert sender_name_parse("Riverside clinic €1") == "Riverside clinic €1"
    with pytest.raises(ValueError, match="20 characters"):
        sender_name_parse("Riverside clinic €12")


@pytest.mark.parametrize("name", ["Clínica Ribera", "Riverside 🙂", "St Mary’s"])
def test_a_character_outside_gsm_7_is_refused_by_name(name):
    with pytest.raises(ValueError, match="plain letters"):
        sender_name_parse(name)


@pytest.mark.parametrize("name", ["", "   ", "\n"])
def test_an_empty_name_is_refused(name):
    with pytest.raises(ValueError, match="Give the name"):
        sender_name_parse(name)
