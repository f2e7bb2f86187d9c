"""Every text, in every language: one SMS (160 GSM-7 characters) with a long site address, no health data."""

from __future__ import annotations

import pytest

from reactions import services
from reactions.domain import gsm
from reactions.domain.sender_name import SENDER_NAME_MAX_LENGTH, sender_name_parse
from reactions.models import OutboundEmail
from reactions.services.messages import TEMPLATES, render_short
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

LONG_SITE = "https://ivigtrack.riverside-clinic.org"
# As long a name as a clinic may choose for its texts.
LONGEST_SENDER = "Riverside Clinic Ltd"


def test_the_longest_sender_name_is_as_long_as_allowed():
    assert gsm.gsm_length(LONGEST_SENDER) == SENDER_NAME_MAX_LENGTH
    assert sender_name_parse(LONGEST_SENDER) == LONGEST_SENDER


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
    context = {"recipient": recipient, "sender": LONGEST_SENDER, "link": link, "for_someone": for_someone}
    text = render_short("sms", TEMPLATES[kind], context)
    assert link in text and text.startswith(LONGEST_SENDER)
    assert "ivigtrack" not in text.replace(LONG_SITE, "")  # the app's name only where the clinic's site has it
    assert ("PARAR" if language == "es" else "STOP") in text
    assert gsm.gsm_length(text) <= gsm.SMS_SEPTETS, (gsm.gsm_length(text), text)


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
