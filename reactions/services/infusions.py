"""Infusions, and the vitals and rate changes recorded during one."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import transaction

from reactions.domain import vitals as vitals_rules
from reactions.models import (
    Flag,
    FlagEvent,
    Infusion,
    OutboundEmail,
    RateChange,
    User,
    Vitals,
)
from reactions.services.followups import followups_sync, followups_sync_patient
from reactions.services.versions import flag_event_record


@transaction.atomic
def infusion_create(
    *,
    patient: User,
    logged_by: User,
    status: str,
    started_at: datetime,
    ended_at: datetime | None,
    product: str,
    product_other: str = "",
    lot_number: str = "",
    dose_grams: Decimal | None = None,
    setting: str = Infusion.Setting.CLINIC,
    premedication: str = "",
    pre_hydrated: bool = False,
    notes: str = "",
) -> Infusion:
    infusion = Infusion(
        patient=patient,
        logged_by=logged_by,
        status=status,
        started_at=started_at,
        ended_at=ended_at,
        product=product,
        product_other=product_other if product == Infusion.Product.OTHER else "",
        lot_number=lot_number,
        dose_grams=dose_grams,
        setting=setting,
        premedication=premedication,
        pre_hydrated=pre_hydrated,
        notes=notes,
    )
    infusion.full_clean()
    infusion.save()
    followups_sync(infusion=infusion)
    return infusion


@transaction.atomic
def infusion_update(*, infusion: Infusion, **fields: object) -> Infusion:
    allowed = {
        "status",
        "started_at",
        "ended_at",
        "product",
        "product_other",
        "lot_number",
        "dose_grams",
        "setting",
        "premedication",
        "pre_hydrated",
        "notes",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"infusion_update() got unexpected fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(infusion, name, value)
    if infusion.product != Infusion.Product.OTHER:
        infusion.product_other = ""
    infusion.full_clean()
    infusion.save()
    followups_sync(infusion=infusion)
    return infusion


class InfusionHasReportsError(Exception):
    pass


@transaction.atomic
def infusion_delete(*, infusion: Infusion) -> None:
    """Delete an infusion logged by mistake; one with reports is kept (nothing reported is lost)."""
    if infusion.reports.exists():
        raise InfusionHasReportsError()
    # Unsent messages about this infusion must not go out; sent ones keep their record.
    OutboundEmail.objects.filter(followup__infusion=infusion, status=OutboundEmail.Status.PENDING).update(
        status=OutboundEmail.Status.CANCELLED
    )
    patient = infusion.patient
    infusion.delete()
    # A deleted day of a course gives the day before it back its later prompts.
    followups_sync_patient(patient=patient)


@transaction.atomic
def vitals_record(
    *,
    infusion: Infusion,
    by: User,
    phase: str,
    recorded_at: datetime,
    systolic: int | None = None,
    diastolic: int | None = None,
    pulse: int | None = None,
    temperature: Decimal | None = None,
    note: str = "",
) -> Vitals:
    """Save vitals; values outside the clinic's safe ranges are highlighted and raise a review flag."""
    values = {"systolic": systolic, "diastolic": diastolic, "pulse": pulse, "temperature": temperature}
    outside = vitals_rules.out_of_range(values, infusion.patient.clinic.vitals_safe_ranges)
    vitals = Vitals(
        infusion=infusion,
        phase=phase,
        recorded_at=recorded_at,
        note=note,
        recorded_by=by,
        out_of_range=bool(outside),
        **values,
    )
    vitals.full_clean()
    vitals.save()
    if outside:
        flag = Flag.objects.create(
            clinic_id=infusion.patient.clinic_id, patient=infusion.patient, vitals=vitals, kind=Flag.Kind.REVIEW
        )
        flag_event_record(
            flag=flag,
            actor=by,
            action=FlagEvent.Action.NOTE,
            note="Outside the safe range: " + ", ".join(vitals_rules.describe(name, values[name]) for name in outside),
        )
    return vitals


@transaction.atomic
def rate_change_record(
    *, infusion: Infusion, by: User, changed_at: datetime, rate: Decimal, unit: str, note: str = ""
) -> RateChange:
    change = RateChange(infusion=infusion, changed_at=changed_at, rate=rate, unit=unit, note=note, recorded_by=by)
    change.full_clean()
    change.save()
    # A rate above the clinic's threshold adds follow-up prompts.
    followups_sync_patient(patient=infusion.patient, include=[infusion.pk])
    return change
