"""What a patient's reply to a text asks for: stop texts, start them again, or nothing.

Twilio's own opt-out and opt-in keywords (it stops delivering on these, whatever the app does), plus the
Spanish PARAR and ARRIBA, so that the app's record matches what the patient asked for in either language.
A reply is a keyword only when it is the whole message: "stop the pain" is not a STOP.
"""

from __future__ import annotations

from enum import StrEnum


class SmsKeyword(StrEnum):
    STOP = "stop"
    START = "start"


STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT", "PARAR"})
START_WORDS = frozenset({"START", "UNSTOP", "YES", "ARRIBA"})


def sms_keyword(body: str) -> SmsKeyword | None:
    """The keyword the whole reply is (any case, surrounding spaces and punctuation ignored), else None."""
    word = body.strip().strip(".!¡?¿ ").upper()
    if word in STOP_WORDS:
        return SmsKeyword.STOP
    if word in START_WORDS:
        return SmsKeyword.START
    return None
