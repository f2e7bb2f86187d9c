"""Clinic-wide reads: the patient list and the open items of the daily reminder."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from reactions.models import (
    Clinic,
    Flag,
    FollowUp,
    Infusion,
    Invitation,
    OutboundEmail,
    User,
)
from reactions.models.followups import OPEN_PROMPT_STATUSES
from reactions.selectors.checkins import needs_check
from reactions.selectors.plans import clinic_plans_needed_count
from reactions.selectors.triage_queue import not_snoozed
from reactions.services.links import invitation_url


def _count_subquery(queryset) -> Coalesce:
    """An integer subquery counting queryset rows per outer patient (no join fan-out)."""
    counted = queryset.values("patient").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


PATIENT_SORTS = {
    "name": ["full_name", "pk"],
    "-last_infusion": [F("last_infusion_at").desc(nulls_last=True), "full_name"],
    "next_infusion": [F("next_infusion_at").asc(nulls_last=True), "full_name"],
    "-open_flags": ["-open_flags", "full_name"],
}


def clinic_patient_rows(*, clinic: Clinic, query: str = "", sort: str = "name"):
    """The clinic's patients with last/next infusion, open flags and unanswered prompts, in one query."""
    now = timezone.now()
    given = Infusion.objects.filter(patient=OuterRef("pk"), status=Infusion.Status.GIVEN).order_by("-started_at")
    planned = Infusion.objects.filter(
        patient=OuterRef("pk"), status=Infusion.Status.PLANNED, started_at__gt=now
    ).order_by("started_at")
    rows = User.objects.filter(clinic=clinic, role=User.Role.PATIENT).annotate(
        last_infusion_at=Subquery(given.values("started_at")[:1]),
        next_infusion_at=Subquery(planned.values("started_at")[:1]),
        open_flags=_count_subquery(Flag.objects.filter(patient=OuterRef("pk")).exclude(status=Flag.Status.CLOSED)),
        unreachable=Exists(
            Flag.objects.filter(patient=OuterRef("pk"), kind=Flag.Kind.UNREACHABLE).exclude(status=Flag.Status.CLOSED)
        ),
        # A coming infusion whose day-before check-in says to check first (selectors.checkins).
        check_before_infusing=Exists(
            FollowUp.objects.filter(
                needs_check(now),
                patient=OuterRef("pk"),
                infusion__status=Infusion.Status.PLANNED,
                infusion__started_at__gt=now,
            )
        ),
        unanswered_prompts=_count_subquery(
            FollowUp.objects.filter(patient=OuterRef("pk"), status__in=OPEN_PROMPT_STATUSES)
        ),
    )
    if query:
        rows = rows.filter(Q(full_name__icontains=query) | Q(email__icontains=query))
    return rows.order_by(*PATIENT_SORTS.get(sort or "name", PATIENT_SORTS["name"]))


@dataclass(frozen=True)
class ClinicOpenItems:
    severe_events: int
    review_flags: int
    no_response: int
    unreachable: int = 0
    plans_needed: int = 0  # planned infusions waiting for a clinician's plan after a severe event

    @property
    def total(self) -> int:
        return self.severe_events + self.review_flags + self.no_response + self.unreachable + self.plans_needed


def clinic_open_items(*, clinic: Clinic, now: datetime | None = None) -> ClinicOpenItems:
    """What the daily reminder lists.

    Unacknowledged severe events; review, cannot-reach and no-response flags not closed; planned infusions
    that need a plan."""
    counts = Flag.objects.filter(clinic=clinic).aggregate(
        severe_events=Count("pk", filter=Q(kind=Flag.Kind.SEVERE_EVENT, status=Flag.Status.OPEN)),
        review_flags=Count(
            "pk",
            filter=Q(kind=Flag.Kind.REVIEW) & ~Q(status=Flag.Status.CLOSED) & not_snoozed(now or timezone.now()),
        ),
        no_response=Count("pk", filter=Q(kind=Flag.Kind.NO_RESPONSE) & ~Q(status=Flag.Status.CLOSED)),
        unreachable=Count("pk", filter=Q(kind=Flag.Kind.UNREACHABLE) & ~Q(status=Flag.Status.CLOSED)),
    )
    return ClinicOpenItems(**counts, plans_needed=clinic_plans_needed_count(clinic=clinic))


def recent_invitations(*, clinic: Clinic, limit: int = 10) -> list[Invitation]:
    """The clinic's latest invitations, each with its e-mail's delivery status (``email_status``) and, while
    that e-mail is not delivered, its link (``url``) for the clinician to pass on another way."""
    emails = OutboundEmail.objects.filter(
        kind=OutboundEmail.Kind.INVITATION, to_email=OuterRef("email"), created_at__gte=OuterRef("created_at")
    ).order_by("created_at")
    invitations = list(
        clinic.invitations.annotate(email_status=Subquery(emails.values("status")[:1])).order_by("-created_at")[:limit]
    )
    for invitation in invitations:
        undelivered = invitation.accepted_at is None and invitation.email_status != OutboundEmail.Status.SENT
        invitation.url = invitation_url(invitation=invitation) if undelivered else ""
    return invitations
