"""The clinician's triage queue and its count badge."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from django.db.models import (
    Case,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from reactions.domain import dates
from reactions.models import (
    Clinic,
    Flag,
)
from reactions.selectors.prefetch import _prefetch_where, attach_symptoms

# The queue's status filter; the CSV export of the queue takes the same words.
QUEUE_STATUSES = ("active", "open", "acknowledged", "snoozed", "closed", "all")


def not_snoozed(now: datetime) -> Q:
    """Flags not snoozed into the future: a snoozed review flag leaves the queue until then."""
    return Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=now)


def needing_action(flags: QuerySet[Flag], *, now: datetime) -> QuerySet[Flag]:
    """The flags the badge counts and the "active" queue lists: not closed, not snoozed into the future."""
    return flags.exclude(status=Flag.Status.CLOSED).filter(not_snoozed(now))


def flags_filtered(
    *,
    clinic: Clinic,
    kind: str = "",
    status: str = "active",
    product: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[Flag]:
    """The clinic's flags as the queue's filters choose them, unordered: one definition for the queue and its CSV.

    ``status``: "active" (or empty, the default) needs action; "all" is every flag, closed ones too; the
    others are what they say. Dates are the flag's creation, in whole days of the current time zone.
    """
    now = timezone.now()
    flags = Flag.objects.filter(clinic=clinic)
    if status in ("", "active"):
        flags = needing_action(flags, now=now)
    elif status == "snoozed":
        flags = flags.exclude(status=Flag.Status.CLOSED).filter(snoozed_until__gt=now)
    elif status != "all":
        flags = flags.filter(status=status)
    if kind:
        flags = flags.filter(kind=kind)
    if product:
        flags = flags.filter(
            Q(report__infusion__product=product)
            | Q(vitals__infusion__product=product)
            | Q(followup__infusion__product=product)
        )
    return flags.filter(**dates.within("created_at", date_from, date_to, timezone.get_current_timezone()))


# Severe events first, then review flags, patients who cannot be reached, prompts with no response.
KIND_RANK = Case(
    When(kind=Flag.Kind.SEVERE_EVENT, then=Value(0)),
    When(kind=Flag.Kind.REVIEW, then=Value(1)),
    When(kind=Flag.Kind.UNREACHABLE, then=Value(2)),
    default=Value(3),
    output_field=IntegerField(),
)


# Within each kind, who has waited longest for action comes first: nobody has acknowledged an open flag yet,
# so it comes before acknowledged ones, then the oldest first. Newest first let an unacknowledged
# hour-old suspected clot sit below an event a colleague had acknowledged two minutes ago.
WAITING_RANK = Case(
    When(status=Flag.Status.OPEN, then=Value(0)),
    When(status=Flag.Status.ACKNOWLEDGED, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def clinic_queue(**filters: object) -> QuerySet[Flag]:
    """The triage queue (flags_filtered's filters): by kind, then unacknowledged first, then oldest first.

    Load what a page of it shows with queue_details().
    """
    return (
        flags_filtered(**filters)
        # Two joins, the rest loaded for a page by queue_details(): PostgreSQL takes longer to plan a join
        # of every relation a row may show than to run it.
        .select_related("patient", "report__infusion")
        # What a row shows: the joined rows are wide (a user's password hash, an infusion's notes).
        .only(
            "clinic_id",
            "patient_id",
            "report_id",
            "vitals_id",
            "followup_id",
            "kind",
            "status",
            "outcome",
            "reason",
            "created_at",
            "updated_at",
            "snoozed_until",
            "acknowledged_by_id",
            "assigned_to_id",
            "patient__full_name",
            "report__infusion_id",
            "report__clinician_level",
            "report__tier",
            "report__updated_at",
            "report__infusion__started_at",
            "report__infusion__product",
            "report__infusion__product_other",
            "report__infusion__lot_number",
        )
        .annotate(kind_rank=KIND_RANK, waiting_rank=WAITING_RANK)
        .order_by("kind_rank", "waiting_rank", "created_at", "pk")
    )


def queue_details(flags: Iterable[Flag]) -> list[Flag]:
    """A page of the triage queue with what its rows show (badges.queue_row), in as few queries as it needs.

    Report flags get their report's ``symptom_list`` in one query. Vitals, follow-ups and the staff who
    acknowledged or were assigned are asked for only the rows that have them: most rows have none, and
    prefetch_related asked of every row would spend queries finding nothing.
    """
    flags = list(flags)
    for present, lookup in (
        ("vitals_id", "vitals__infusion"),
        ("followup_id", "followup__infusion"),
        ("acknowledged_by_id", "acknowledged_by"),
        ("assigned_to_id", "assigned_to"),
    ):
        _prefetch_where(flags, present, lookup)
    attach_symptoms([flag.report for flag in flags if flag.report_id])
    return flags


def clinic_queue_count(*, clinic_id: int) -> int:
    """The navigation badge: flags needing action, snoozed ones excluded."""
    return needing_action(Flag.objects.filter(clinic_id=clinic_id), now=timezone.now()).count()
