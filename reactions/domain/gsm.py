"""GSM 03.38, the alphabet of a plain text message. Pure.

A text written only in it fits 160 characters in one SMS. One character outside it (an "ó", a curly quote,
an emoji) turns the whole text into UCS-2, where one SMS holds only 70: the text is split into several,
which some phones show out of order and every carrier charges for.
"""

from __future__ import annotations

# The basic set: one septet each.
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension: two septets each (an escape, then the character).
GSM_EXTENSION = frozenset("^{}\\[~]|€")
# One SMS.
SMS_SEPTETS = 160


def not_gsm(text: str) -> list[str]:
    """The characters of `text` that GSM-7 does not have, each once, in order of first appearance."""
    return list(dict.fromkeys(char for char in text if char not in GSM_BASIC and char not in GSM_EXTENSION))


def gsm_length(text: str) -> int:
    """Its length in GSM-7 septets (what counts towards an SMS's 160); ValueError if GSM-7 cannot write it."""
    if missing := not_gsm(text):
        raise ValueError(f"not GSM-7: {''.join(missing)!r} in {text!r}")
    return sum(2 if char in GSM_EXTENSION else 1 for char in text)
