"""What a text's delivery receipt means: only delivered, undelivered and failed change anything."""

from __future__ import annotations

import pytest

from reactions.domain.sms_receipts import SmsReceipt, sms_receipt, sms_receipt_error


@pytest.mark.parametrize(
    ("status", "meaning"),
    [
        ("delivered", SmsReceipt.DELIVERED),
        ("undelivered", SmsReceipt.LOST),
        ("failed", SmsReceipt.LOST),
        ("Failed ", SmsReceipt.LOST),
        ("queued", None),
        ("accepted", None),
        ("sending", None),
        ("sent", None),
        ("read", None),
        ("", None),
    ],
)
def test_only_a_final_status_means_anything(status, meaning):
    assert sms_receipt(status) == meaning


def test_the_error_names_the_status_the_code_and_a_known_reason():
    assert sms_receipt_error(status="undelivered", error_code="30006") == (
        "Twilio undelivered, error 30006: a landline or a carrier that does not take texts"
    )
    assert sms_receipt_error(status="failed", error_code="30410") == "Twilio failed, error 30410"
    assert sms_receipt_error(status="undelivered", error_code="") == "Twilio undelivered"
