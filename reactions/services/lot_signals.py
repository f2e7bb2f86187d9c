"""Lot signals: several severe events on one product lot within a month."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import (
    Count,
    Max,
    Min,
)
from django.urls import reverse
from django.utils import timezone

from reactions.models import (
    Flag,
    Infusion,
    LotSignal,
    OutboundEmail,
    User,
)
from reactions.services.outbox import email_queue

logger = logging.getLogger(__name__)


LOT_SIGNAL_WINDOW = timedelta(days=30)


LOT_SIGNAL_MIN_EVENTS = 2


def lot_signal_check(*, infusion: Infusion) -> LotSignal | None:
    """Two or more severe events on one product lot within 30 days in a clinic: signal the clinic admins.

    Runs in the transaction that created the severe event. One signal per lot per window:
    a new one only when the last is older than the window. An event's date is when its report was
    given, not when its flag was raised (a clinician's reclassification raises one later).
    """
    if not infusion.lot_number:
        return None
    clinic_id = infusion.patient.clinic_id
    now = timezone.now()
    since = now - LOT_SIGNAL_WINDOW
    events = Flag.objects.filter(
        clinic_id=clinic_id,
        kind=Flag.Kind.SEVERE_EVENT,
        report__created_at__gte=since,
        report__infusion__product=infusion.product,
        report__infusion__lot_number=infusion.lot_number,
    )
    summary = events.aggregate(
        n=Count("pk"),
        patients=Count("patient", distinct=True),
        first=Min("report__created_at"),
        last=Max("report__created_at"),
    )
    if summary["n"] < LOT_SIGNAL_MIN_EVENTS:
        return None
    if LotSignal.objects.filter(
        clinic_id=clinic_id, product=infusion.product, lot_number=infusion.lot_number, created_at__gte=since
    ).exists():
        return None
    signal = LotSignal.objects.create(
        clinic_id=clinic_id,
        product=infusion.product,
        lot_number=infusion.lot_number,
        severe_events=summary["n"],
        patients=summary["patients"],
        first_event_at=summary["first"],
        last_event_at=summary["last"],
    )
    clinic = infusion.patient.clinic
    url = settings.SITE_URL + reverse("product_report")
    for admin in User.objects.filter(clinic_id=clinic_id, role=User.Role.CLINIC_ADMIN, is_active=True):
        email_queue(
            kind=OutboundEmail.Kind.LOT_SIGNAL,
            template="lot-signal",
            to_user=admin,
            clinic=clinic,
            context={"signal": signal, "clinic": clinic, "product_name": infusion.product_name, "url": url},
        )
    logger.warning(
        "Lot signal: clinic %s, %s lot %s, %s severe events",
        clinic_id,
        infusion.product,
        infusion.lot_number,
        summary["n"],
    )
    return signal
