"""Texts stopped and started by the patient's own phone (STOP / START), recorded per number."""

from __future__ import annotations

import logging
from datetime import datetime

import phonenumbers
from django.utils import timezone

from reactions.domain.sms_keywords import SmsKeyword, sms_keyword
from reactions.models import User

logger = logging.getLogger(__name__)


def sms_stop(*, phone: str, now: datetime | None = None) -> int:
    """No more texts to this number (E.164), whoever has it; how many accounts that paused."""
    if not phone:
        return 0
    stopped = User.objects.filter(phone=phone, sms_stopped_at__isnull=True).update(sms_stopped_at=now or timezone.now())
    logger.info("Texts stopped for %s account(s) by STOP", stopped)
    return stopped


def sms_start(*, phone: str) -> int:
    """Texts again to this number (E.164), for accounts that stopped them; how many accounts that resumed."""
    if not phone:
        return 0
    started = User.objects.filter(phone=phone, sms_stopped_at__isnull=False).update(sms_stopped_at=None)
    logger.info("Texts resumed for %s account(s) by START", started)
    return started


def sms_reply_apply(*, from_number: str, body: str) -> SmsKeyword | None:
    """A text a patient sent back: STOP pauses texts to that number, START resumes them; the keyword, if any."""
    keyword = sms_keyword(body)
    if keyword is None:
        return None
    try:
        number = phonenumbers.parse(from_number, None)
    except phonenumbers.NumberParseException:
        logger.warning("SMS reply from a number that does not parse: ignored")
        return None
    phone = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if keyword == SmsKeyword.STOP:
        sms_stop(phone=phone)
    else:
        sms_start(phone=phone)
    return keyword
