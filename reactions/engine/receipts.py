"""Delivery receipts: a text the provider took (SENT) that the carrier then delivered, or lost for good.

A lost text is a permanent failure found late, and goes down the engine's own path for one
(reactions.engine.undeliverable): the e-mail copy to the same person, or "cannot reach patient" when
every copy failed. Providers repeat receipts (Twilio retries a callback it thinks went unheard), so
each receipt changes a message once.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from reactions import jobs
from reactions.channels.sms.twilio import UNSUBSCRIBED
from reactions.domain.sms_receipts import SmsReceipt, sms_receipt, sms_receipt_error
from reactions.engine.undeliverable import email_undeliverable
from reactions.models import DeliveryAttempt, OutboundEmail
from reactions.services.sms import sms_stop

logger = logging.getLogger(__name__)


def sms_receipt_apply(
    *, provider_id: str, status: str, error_code: str = "", now: datetime | None = None
) -> SmsReceipt | None:
    """Apply one receipt for the text with this provider id; what it meant, or None when it changed nothing.

    Delivered: the time is recorded, once. Lost (undelivered or failed): the text becomes FAILED with the
    carrier's error, a failed attempt is recorded, a 21610 refusal records the STOP, and the fallback goes
    (queued in this transaction, sent as soon as it commits). Only a SENT text can be lost, so a repeated
    receipt finds it FAILED and does nothing; a "delivered" that comes after it records the time and undoes
    nothing (the e-mail copy and any "cannot reach patient" stand).
    """
    receipt = sms_receipt(status)
    if receipt is None or not provider_id:
        return None
    now = now or timezone.now()
    message = OutboundEmail.objects.filter(provider_id=provider_id, channel=OutboundEmail.Channel.SMS).first()
    if message is None:
        logger.warning(
            "Receipt (%s) for text %s, which is not one of ours or is not recorded as sent", status, provider_id
        )
        return None
    if receipt == SmsReceipt.DELIVERED:
        if not OutboundEmail.objects.filter(pk=message.pk, delivered_at__isnull=True).update(delivered_at=now):
            return None
        if message.status != OutboundEmail.Status.SENT:
            logger.warning("Text %s delivered after it was given up on (%s)", message.pk, message.last_error)
        return receipt
    error = sms_receipt_error(status=status, error_code=error_code)
    return receipt if _text_lost(message, error=error, code=error_code, now=now) else None


@transaction.atomic
def _text_lost(message: OutboundEmail, *, error: str, code: str, now: datetime) -> bool:
    """The carrier will never deliver this SENT text: record it and tell who must hear. Whether it was SENT."""
    # Conditional: of two deliveries of the same receipt (a retry, two web processes), one changes the row.
    if not OutboundEmail.objects.filter(pk=message.pk, status=OutboundEmail.Status.SENT).update(
        status=OutboundEmail.Status.FAILED, last_error=error
    ):
        return False
    message.status, message.last_error = OutboundEmail.Status.FAILED, error
    DeliveryAttempt.objects.create(
        email=message, started_at=message.sent_at or now, finished_at=now, succeeded=False, error=error
    )
    if code == str(UNSUBSCRIBED):
        sms_stop(phone=message.to_phone)  # the patient texted STOP and the webhook missed it
    logger.error("Text %s (%s) was not delivered: %s", message.pk, message.kind, error)
    ids = email_undeliverable(email=message)
    if ids:
        jobs.enqueue_on_commit(jobs.DELIVER_EMAILS, ids)
    return True
