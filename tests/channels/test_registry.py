"""Which channels a patient's follow-up messages go by."""

from __future__ import annotations

import pytest
from django.utils import timezone

from reactions.channels import Channel, channels_for
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

MOBILE = "+447400123456"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, [Channel.EMAIL]),
        ({"notify_sms": True, "phone": MOBILE}, [Channel.EMAIL, Channel.SMS]),
        ({"notify_email": False, "notify_sms": True, "phone": MOBILE}, [Channel.SMS]),
        # Texts impossible: e-mail is used even though the patient chose only texts.
        ({"notify_email": False, "notify_sms": True, "phone": ""}, [Channel.EMAIL]),
        ({"notify_email": False, "notify_sms": True, "phone": "+442079460000"}, [Channel.EMAIL]),  # a landline
        (
            {"notify_email": False, "notify_sms": True, "phone": MOBILE, "sms_stopped_at": timezone.now()},
            [Channel.EMAIL],
        ),
        ({"notify_email": False, "notify_sms": False}, [Channel.EMAIL]),
    ],
)
def test_the_patients_choice_less_what_cannot_reach_them_else_email(fields, expected):
    assert channels_for(PatientFactory(**fields)) == expected
