"""What a text's delivery receipt (Twilio's status callback) means for the message: delivered, lost, or nothing yet.

Twilio reports each step of a text's life to its StatusCallback URL: queued, sending and sent only say
that the text is on its way; delivered is the carrier's confirmation; undelivered (the carrier could not
deliver it) and failed (Twilio could not send it) are final, and the text will never arrive.
"""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class SmsReceipt(StrEnum):
    DELIVERED = "delivered"
    LOST = "lost"


LOST_STATUSES = frozenset({"undelivered", "failed"})

# The carrier's reasons (Twilio's error dictionary, 30003-30008) in words a nurse can act on: the clinic's
# "cannot reach patient" note quotes them.
CARRIER_REASONS = {
    "30003": _("the phone is off or out of reach"),
    "30004": _("the number blocks messages"),
    "30005": _("unknown or inactive number"),
    "30006": _("a landline or a carrier that does not take texts"),
    "30007": _("filtered by the carrier"),
    "30008": _("unknown carrier error"),
}


def sms_receipt(status: str) -> SmsReceipt | None:
    """What a status callback's MessageStatus means; None for a step on the way (or a status not about texts)."""
    status = status.strip().lower()
    if status == "delivered":
        return SmsReceipt.DELIVERED
    if status in LOST_STATUSES:
        return SmsReceipt.LOST
    return None


def sms_receipt_error(*, status: str, error_code: str) -> str:
    """The row's last_error for a lost text: Twilio's status and error code, and the reason when it is known."""
    text = f"Twilio {status.strip().lower()}"
    if error_code:
        text += f", error {error_code}"
        if error_code in CARRIER_REASONS:
            text += f": {CARRIER_REASONS[error_code]}"  # in the language active when the receipt came
    return text
