"""Every text, in every language: one SMS (160 GSM-7 characters) with a long site address, no health data."""

from __future__ import annotations

import pytest

from reactions import services
from reactions.models import OutboundEmail
from reactions.services.messages import TEMPLATES, render_short
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

# GSM 03.38: the basic set (one character each) and its extension (two each). Anything else turns the
# whole text into UCS-2, where one SMS holds only 70 characters.
GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = set("^{}\\[~]|€")
LONG_SITE = "https://ivigtrack.riverside-clinic.org"


def gsm_length(text: str) -> int:
    """Its length in GSM-7 septets; ValueError for a character GSM-7 does not have."""
    length = 0
    for char in text:
        if char in GSM_BASIC:
            length += 1
        elif char in GSM_EXTENSION:
            length += 2
        else:
            raise ValueError(f"not GSM-7: {char!r} in {text!r}")
    return length


@pytest.mark.parametrize("for_someone", [False, True], ids=["patient", "caregiver"])
@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("kind", sorted(TEMPLATES))
def test_each_text_is_one_sms_in_each_language(settings, kind, language, for_someone):
    settings.SITE_URL = LONG_SITE
    recipient = PatientFactory(language=language)
    # A large follow-up id (and caregiver id, on a caregiver's copy): the link is as long as it will be for years.
    link = services.links.short_url(
        kind=services.links.ShortLinkKind.FOLLOWUP, pk=10**7, recipient_id=10**7 if for_someone else None
    )
    context = {"recipient": recipient, "link": link, "for_someone": for_someone}
    text = render_short("sms", TEMPLATES[kind], context)
    assert link in text and text.startswith("ivigtrack")
    assert ("PARAR" if language == "es" else "STOP") in text
    assert gsm_length(text) <= 160, (gsm_length(text), text)


@pytest.mark.parametrize("channel", ["sms", "push"])
@pytest.mark.parametrize("kind", sorted(TEMPLATES))
def test_a_caregivers_copy_says_it_is_about_the_person_they_help(channel, kind):
    recipient = PatientFactory(language="en")
    theirs = render_short(channel, TEMPLATES[kind], {"recipient": recipient, "link": "L", "for_someone": True})
    own = render_short(channel, TEMPLATES[kind], {"recipient": recipient, "link": "L", "for_someone": False})
    assert "the person you help" in theirs
    assert "you help" not in own


def test_the_kinds_with_a_text_are_the_patient_messages():
    assert set(TEMPLATES) == {
        OutboundEmail.Kind.FOLLOWUP_PROMPT,
        OutboundEmail.Kind.FOLLOWUP_REMINDER,
        OutboundEmail.Kind.PRE_INFUSION,
    }
