"""How a patient's phone number is dialled and shown."""

from __future__ import annotations

import phonenumbers


def _dialable(number: phonenumbers.PhoneNumber) -> bool:
    # Text stored without going through a form (a raw import, say) may not parse: nothing to dial then.
    return bool(number.country_code and number.national_number)


def phone_display(number: phonenumbers.PhoneNumber, *, home_region: str) -> str:
    """National format for a number of the clinic's own country (what staff dial and read aloud),
    international format for any other: a number abroad needs its country code to be dialled."""
    if not _dialable(number):
        return number.raw_input or ""
    if number.country_code == phonenumbers.country_code_for_region(home_region):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def phone_dial(number: phonenumbers.PhoneNumber) -> str:
    """E.164 (+447700900123): a tel: link that dials the same from any phone, in any country; empty when
    the number cannot be dialled."""
    if not _dialable(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


_TEXTABLE_TYPES = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


def can_receive_sms(number: phonenumbers.PhoneNumber) -> bool:
    """A valid number that may be a mobile: texts to a landline or a made-up number are never tried."""
    return (
        _dialable(number)
        and phonenumbers.is_valid_number(number)
        and phonenumbers.number_type(number) in _TEXTABLE_TYPES
    )
