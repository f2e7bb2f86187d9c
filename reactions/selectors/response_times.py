"""How fast a clinic answers severe events: time to acknowledge, and time to reach the patient."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from reactions.domain.percentiles import DurationSummary, summarise
from reactions.models import Clinic, Flag

RESPONSE_WINDOW_DAYS = 30


@dataclass(frozen=True)
class ResponseTimes:
    """Severe events raised in [since, until), measured from the moment each was raised."""

    since: datetime
    until: datetime
    severe_events: int
    acknowledge: DurationSummary
    contact: DurationSummary
    # Not measured, and counted so that a slow answer can't hide by being still missing.
    not_acknowledged: int
    not_contacted: int
    # Raised by a clinician's reclassification, acknowledged as they were raised: nothing to measure.
    raised_acknowledged: int


def severe_response_times(
    *, clinic: Clinic, now: datetime | None = None, days: int = RESPONSE_WINDOW_DAYS
) -> ResponseTimes:
    """One query; the percentiles are computed here, so that SQLite and PostgreSQL give the same numbers.

    Severe events are rare (a few a month in a clinic), so their times fit in memory whatever the data size.
    """
    until = now or timezone.now()
    since = until - timedelta(days=days)
    rows = list(
        Flag.objects.filter(
            clinic=clinic, kind=Flag.Kind.SEVERE_EVENT, created_at__gte=since, created_at__lt=until
        ).values_list("created_at", "acknowledged_at", "contacted_at")
    )
    to_acknowledge = [acked - raised for raised, acked, _contacted in rows if acked is not None and acked > raised]
    to_contact = [contacted - raised for raised, _acked, contacted in rows if contacted is not None]
    return ResponseTimes(
        since=since,
        until=until,
        severe_events=len(rows),
        acknowledge=summarise(to_acknowledge),
        contact=summarise(to_contact),
        not_acknowledged=sum(1 for _raised, acked, _contacted in rows if acked is None),
        not_contacted=sum(1 for _raised, _acked, contacted in rows if contacted is None),
        raised_acknowledged=sum(1 for raised, acked, _contacted in rows if acked is not None and acked <= raised),
    )
