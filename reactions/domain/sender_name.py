"""The name a clinic's texts and notifications are signed with. Pure (messages are translated lazily).

Texts begin "<name>:" and notifications are titled with it, on lock screens and shared phones: the app's
own name tells anyone who knows it that the reader is on IVIG, so each clinic may choose another. It must
keep every text one SMS: GSM-7 only, and short enough for the longest text with the longest link.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from reactions.domain.gsm import gsm_length, not_gsm

DEFAULT_SENDER_NAME = "ivigtrack"
# tests/test_sms_texts.py proves every text fits one SMS with a name this long (in septets).
SENDER_NAME_MAX_LENGTH = 20


def sender_name_parse(text: str) -> str:
    """The name as it will be sent (spaces trimmed and single); ValueError with a readable message otherwise."""
    name = " ".join(text.split())
    if not name:
        raise ValueError(_("Give the name your clinic's texts and notifications start with."))
    if missing := not_gsm(name):
        raise ValueError(
            _("Texts cannot carry %(characters)s without being split into several: use plain letters.")
            % {"characters": " ".join(f"“{char}”" for char in missing)}
        )
    if gsm_length(name) > SENDER_NAME_MAX_LENGTH:
        raise ValueError(
            _("Keep it to %(max)d characters at most (each of ^ { } \\ [ ] ~ | € counts as two).")
            % {"max": SENDER_NAME_MAX_LENGTH}
        )
    return name
