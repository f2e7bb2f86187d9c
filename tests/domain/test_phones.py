"""A patient's number as a clinician dials it and reads it."""

from __future__ import annotations

import phonenumbers
import pytest

from reactions.domain import phones
from reactions.domain.phones import phone_dial, phone_display


def test_a_home_number_reads_in_national_format_and_dials_in_e164():
    number = phonenumbers.parse("07400 123456", "GB")
    assert phone_display(number, home_region="GB") == "07400 123456"
    assert phone_dial(number) == "+447400123456"


def test_a_number_from_another_country_keeps_its_country_code_on_screen():
    number = phonenumbers.parse("+34 612 345 678")
    assert phone_display(number, home_region="GB") == "+34 612 34 56 78"
    assert phone_display(number, home_region="ES") == "612 34 56 78"
    assert phone_dial(number) == "+34612345678"


def test_stored_text_that_is_no_number_is_shown_as_it_is_and_never_dialled():
    number = phonenumbers.PhoneNumber(raw_input="ask at reception")
    assert phone_display(number, home_region="GB") == "ask at reception"
    assert phone_dial(number) == ""


@pytest.mark.parametrize(
    ("number", "textable"),
    [
        ("+447400123456", True),  # a UK mobile
        ("+447700900123", False),  # Ofcom's drama range: not a real number
        ("+442079460000", False),  # a London landline
        ("+34612345678", True),  # a Spanish mobile
    ],
)
def test_only_valid_mobile_numbers_can_receive_texts(number, textable):
    assert phones.can_receive_sms(phonenumbers.parse(number)) is textable
