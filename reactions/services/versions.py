"""The versions cached page fragments are keyed on: a report's card, a flag's row in the triage queue.

The timeline caches each report's card under the report's ``updated_at``, and the queue each flag's cells
under the flag's and its report's (templates/reactions/clinic_patient_detail.html, clinic_flags.html).
A write that changes what a card or a row shows calls ``touch`` in the same transaction: a reader then
either sees the old rows and the old version, or the new rows and the new version, never new rows under
an old key nor old rows under a new one.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from reactions.models import Flag, FlagEvent, ReactionReport, User


def touch(*, flag: Flag | None = None, report_id: int | None = None) -> None:
    """A flag (and so its report) or a report changed: its cached card and queue row are no longer current."""
    now = timezone.now()
    if flag is not None:
        Flag.objects.filter(pk=flag.pk).update(updated_at=now)
        report_id = report_id or flag.report_id
    if report_id is not None:
        ReactionReport.objects.filter(pk=report_id).update(updated_at=now)


@transaction.atomic
def flag_event_record(*, flag: Flag, actor: User | None, action: str, note: str = "") -> FlagEvent:
    """Add an event to a flag's thread: every change to a flag writes one, so every change touches it here."""
    event = FlagEvent.objects.create(flag=flag, actor=actor, action=action, note=note)
    touch(flag=flag)
    return event
