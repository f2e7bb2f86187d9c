"""A patient's number as a clinician dials it and reads it."""

from __future__ import annotations

import phonenumbers

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
