"""The clinician's triage queue and its count badge."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.db.models import (
    Case,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from reactions.models import (
    Clinic,
    Flag,
)
from reactions.selectors.prefetch import _prefetch_where, attach_symptoms


def clinic_queue(
    *,
    clinic: Clinic,
    kind: str = "",
    status: str = "active",
    product: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
):
    """The triage queue: severe first, then review, then cannot reach, then no response; newest first within each.

    "active" (the default) hides closed flags and review flags snoozed into the future. Load what a
    page of it shows with queue_details().
    """
    now = timezone.now()
    flags = (
        Flag.objects.filter(clinic=clinic)
        # Two joins, the rest prefetched: PostgreSQL spent 9-13 ms *planning* the ten-table join
        # that select_related made of all of them (and under 1 ms running it); this plans in under 1 ms.
        .select_related("patient", "report__infusion")
        # What a row shows (badges.queue_row): the joined rows are wide (a user's password hash, an
        # infusion's notes) and each time among them is parsed in Python, for every row.
        .only(
            "clinic_id", "patient_id", "report_id", "vitals_id", "followup_id", "kind", "status", "outcome", "reason",
            "created_at", "snoozed_until", "acknowledged_by_id", "assigned_to_id", "patient__full_name",
            "report__infusion_id", "report__clinician_level", "report__infusion__started_at",
            "report__infusion__product", "report__infusion__product_other", "report__infusion__lot_number",
        )
        .annotate(
            kind_rank=Case(
                When(kind=Flag.Kind.SEVERE_EVENT, then=Value(0)),
                When(kind=Flag.Kind.REVIEW, then=Value(1)),
                When(kind=Flag.Kind.UNREACHABLE, then=Value(2)),
                default=Value(3),
                output_field=IntegerField(),
            )
        )
    )
    if status in ("", "active"):
        flags = _needing_action(flags, now=now)
    elif status == "open":
        flags = flags.filter(status=Flag.Status.OPEN).filter(_not_snoozed(now))
    elif status == "snoozed":
        flags = flags.exclude(status=Flag.Status.CLOSED).filter(snoozed_until__gt=now)
    elif status == "closed":
        flags = flags.filter(status=Flag.Status.CLOSED)
    if kind:
        flags = flags.filter(kind=kind)
    if product:
        flags = flags.filter(
            Q(report__infusion__product=product) | Q(vitals__infusion__product=product)
            | Q(followup__infusion__product=product)
        )  # fmt: skip
    tz = timezone.get_current_timezone()
    if date_from:
        flags = flags.filter(created_at__gte=datetime.combine(date_from, datetime.min.time(), tzinfo=tz))
    if date_to:
        flags = flags.filter(created_at__lt=datetime.combine(date_to + timedelta(days=1), datetime.min.time(), tzinfo=tz))
    return flags.order_by("kind_rank", "-created_at", "-pk")


def queue_details(flags: Iterable[Flag]) -> list[Flag]:
    """A page of the triage queue with what its rows show (badges.queue_row), in as few queries as it needs.

    Report flags get their report's ``symptom_list`` in one query. Vitals, follow-ups and the staff who
    acknowledged or were assigned are asked for only the rows that have them: most rows have none, and
    prefetch_related asked of every row spent ~1.3 ms of the page finding nothing.
    """
    flags = list(flags)
    for present, lookup in (
        ("vitals_id", "vitals__infusion"), ("followup_id", "followup__infusion"),
        ("acknowledged_by_id", "acknowledged_by"), ("assigned_to_id", "assigned_to"),
    ):  # fmt: skip
        _prefetch_where(flags, present, lookup)
    attach_symptoms([flag.report for flag in flags if flag.report_id])
    return flags


def clinic_queue_count(*, clinic_id: int) -> int:
    """The navigation badge: flags needing action, snoozed ones excluded."""
    return _needing_action(Flag.objects.filter(clinic_id=clinic_id), now=timezone.now()).count()


def _not_snoozed(now: datetime) -> Q:
    return Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=now)


def _needing_action(flags: QuerySet[Flag], *, now: datetime) -> QuerySet[Flag]:
    """The flags the badge counts and the "active" queue lists: not closed, not snoozed into the future.

    One definition for both: the triage view hands its count to the badge (context_processors).
    """
    return flags.exclude(status=Flag.Status.CLOSED).filter(_not_snoozed(now))
