"""Reading the audit trail: a patient's access log, grouped into runs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby

from reactions.models import (
    AuditEvent,
)


@dataclass(frozen=True)
class AccessRun:
    """Audit events in a row with the same who, action and what: one line of a patient's access log."""

    latest: AuditEvent
    earliest_at: datetime
    count: int


def audit_runs(events: Iterable[AuditEvent]) -> list[AccessRun]:
    """Group events (newest first) that repeat the one before: same person, action and what.

    Every view is recorded, and the triage queue reloads itself every minute while a clinician has it
    open: a patient with an open flag would see a page of "triage queue" lines, one a minute, and the
    other accesses pushed out of sight. As runs, those are one line with how many times and from when
    to when; the rows themselves stay as they are.
    """
    runs = []
    for _same, group in groupby(events, key=lambda event: (event.actor_label, event.action, event.what)):
        run = list(group)
        runs.append(AccessRun(latest=run[0], earliest_at=run[-1].created_at, count=len(run)))
    return runs
