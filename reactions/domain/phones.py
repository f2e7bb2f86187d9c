"""How a patient's phone number is dialled and shown."""

from __future__ import annotations

import phonenumbers


def phone_display(number: phonenumbers.PhoneNumber, *, home_region: str) -> str:
    """National format for a number of the clinic's own country (what staff dial and read aloud),
    international format for any other: a number abroad needs its country code to be dialled."""
    if number.country_code == phonenumbers.country_code_for_region(home_region):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def phone_dial(number: phonenumbers.PhoneNumber) -> str:
    """E.164 (+447700900123): a tel: link that dials the same from any phone, in any country."""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
