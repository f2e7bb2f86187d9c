"""The audit trail: who viewed, changed or exported which patient's record, when, from where."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from reactions.models import AuditEvent, User


def audit_record(
    *,
    actor: User,
    ip: str | None,
    patients: Iterable[User | int],
    action: str,
    what: str,
    clinic_id: int | None = None,
) -> int:
    """Record that a clinician, clinic admin or caregiver viewed, changed or exported these patients' data.

    One row per patient (an export names every patient it holds), all with the same time. The row belongs to
    the actor's clinic, or `clinic_id` (a caregiver has no clinic: the patient's, so its admins see it too).
    """
    ids = sorted({patient if isinstance(patient, int) else patient.pk for patient in patients})
    now = timezone.now()
    label = f"{actor.full_name} <{actor.email}> ({actor.get_role_display()})"
    AuditEvent.objects.bulk_create(
        AuditEvent(
            actor=actor,
            actor_label=label,
            clinic_id=clinic_id or actor.clinic_id,
            patient_id=pk,
            patient_ref=pk,
            action=action,
            what=what[:200],
            ip_address=ip,
            created_at=now,
        )
        for pk in ids
    )
    return len(ids)
