"""Does a planned infusion need a clinician's plan? The one place that decides, as a query.

A planned infusion needs a plan when the patient had a severe event (a flag of kind SEVERE_EVENT, whatever
raised it: the patient's answers or a clinician's reclassification) after their previous given infusion
began and before this one starts, and no clinician has recorded a plan for it since that event. A plan
recorded before a later severe event no longer answers it. With no given infusion before it, any severe
event before it counts. The flag counts whatever became of it (acknowledged, closed, its report downgraded):
only a recorded plan answers it. Every planned infusion after that event needs one, not only the next: each
was planned before anyone had decided.

The triage queue's "plan needed" list, the patient's timeline, the flag page and the dispatcher (which
holds the day-before reminder while a plan is needed) all read it through ``with_plan_state``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import (
    BooleanField,
    Case,
    DateTimeField,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from reactions.models import Clinic, Flag, Infusion, InfusionPlan, User
from reactions.selectors.checkins import attach_checkins

# "After the previous given infusion" when there is none: any severe event counts.
_BEGINNING = datetime(1970, 1, 1, tzinfo=UTC)

# The rule, on the annotations with_plan_state() adds.
_NEEDS_PLAN = Q(status=Infusion.Status.PLANNED, severe_event_at__isnull=False) & (
    Q(plan_decided_at__isnull=True) | Q(plan_decided_at__lt=F("severe_event_at"))
)


def with_plan_state(infusions: QuerySet[Infusion]) -> QuerySet[Infusion]:
    """These infusions, each annotated with the rule's inputs and its answer.

    ``severe_event_at`` and ``severe_flag_id``: the latest severe event that counts, if any;
    ``plan_decision`` and ``plan_decided_at``: the current plan, if any; ``needs_plan``: the answer.
    """
    previous_given = Infusion.objects.filter(
        patient=OuterRef("patient"), status=Infusion.Status.GIVEN, started_at__lt=OuterRef("started_at")
    ).order_by("-started_at")
    severe = Flag.objects.filter(
        patient=OuterRef("patient"),
        kind=Flag.Kind.SEVERE_EVENT,
        created_at__lt=OuterRef("started_at"),
        created_at__gte=Coalesce(OuterRef("previous_given_at"), Value(_BEGINNING, output_field=DateTimeField())),
    ).order_by("-created_at", "-pk")
    plan = InfusionPlan.objects.filter(infusion=OuterRef("pk"), superseded_at__isnull=True)
    return infusions.annotate(
        previous_given_at=Subquery(previous_given.values("started_at")[:1]),
        severe_event_at=Subquery(severe.values("created_at")[:1]),
        severe_flag_id=Subquery(severe.values("pk")[:1]),
        plan_decision=Subquery(plan.values("decision")[:1]),
        plan_decided_at=Subquery(plan.values("decided_at")[:1]),
    ).annotate(needs_plan=Case(When(_NEEDS_PLAN, then=Value(True)), default=Value(False), output_field=BooleanField()))


def stopped_by_plan() -> Exists:
    """Whether an infusion's current plan is "stop" (an annotation: ``.annotate(stopped=stopped_by_plan())``)."""
    return Exists(
        InfusionPlan.objects.filter(
            infusion=OuterRef("pk"), superseded_at__isnull=True, decision=InfusionPlan.Decision.STOP
        )
    )


def _with_current_plan(infusions: QuerySet[Infusion]) -> QuerySet[Infusion]:
    current = InfusionPlan.objects.filter(superseded_at__isnull=True).select_related("decided_by")
    return infusions.prefetch_related(Prefetch("plans", queryset=current, to_attr="current_plans"))


def _current_plan(infusion: Infusion) -> InfusionPlan | None:
    plans = getattr(infusion, "current_plans", None)
    return plans[0] if plans else None


def clinic_plans_needed(*, clinic: Clinic) -> list[Infusion]:
    """The clinic's planned infusions that need a plan, soonest first (the triage queue's first list)."""
    infusions = Infusion.objects.filter(patient__clinic=clinic, status=Infusion.Status.PLANNED)
    return list(
        with_plan_state(infusions)
        .filter(needs_plan=True)
        .select_related("patient")
        .only(
            "patient_id",
            "status",
            "started_at",
            "product",
            "product_other",
            "lot_number",
            "patient__full_name",
        )
        .order_by("started_at", "pk")
    )


def clinic_plans_needed_count(*, clinic: Clinic) -> int:
    """How many of the clinic's planned infusions need a plan (the daily reminder counts them)."""
    infusions = Infusion.objects.filter(patient__clinic=clinic, status=Infusion.Status.PLANNED)
    return with_plan_state(infusions).filter(needs_plan=True).count()


def attach_plan_states(infusions: Iterable[Infusion]) -> None:
    """Set ``needs_plan``, ``severe_flag_id`` and ``current_plan`` on each planned infusion, in two queries
    for them all (none when none is planned); a given infusion gets ``needs_plan = False`` and no plan."""
    infusions = list(infusions)
    planned = [i.pk for i in infusions if i.status == Infusion.Status.PLANNED]
    states = {}
    if planned:
        states = {i.pk: i for i in _with_current_plan(with_plan_state(Infusion.objects.filter(pk__in=planned)))}
    for infusion in infusions:
        state = states.get(infusion.pk)
        infusion.needs_plan = bool(state and state.needs_plan)
        infusion.severe_flag_id = state.severe_flag_id if state else None
        infusion.current_plan = _current_plan(state) if state else None


@dataclass(frozen=True)
class PlanPage:
    """What the plan page shows of one planned infusion."""

    infusion: Infusion
    needs_plan: bool
    severe_flag_id: int | None
    current_plan: InfusionPlan | None
    history: list[InfusionPlan]


def infusion_plan_page(*, infusion: Infusion) -> PlanPage:
    """The plan page of one planned infusion: its state (set on it as attach_plan_states does) and every plan."""
    attach_plan_states([infusion])
    attach_checkins([infusion])  # what the patient said the day before, for the clinician deciding
    history = list(infusion.plans.select_related("decided_by"))
    return PlanPage(
        infusion=infusion,
        needs_plan=infusion.needs_plan,
        severe_flag_id=infusion.severe_flag_id,
        current_plan=infusion.current_plan,
        history=history,
    )


def patient_next_planned(*, patient: User) -> Infusion | None:
    """The patient's next planned infusion not yet started, with its plan state (see attach_plan_states) and its
    day-before check-in (selectors.checkins.attach_checkins)."""
    infusion = (
        Infusion.objects.filter(patient=patient, status=Infusion.Status.PLANNED, started_at__gt=timezone.now())
        .order_by("started_at", "pk")
        .first()
    )
    if infusion is not None:
        attach_plan_states([infusion])
        attach_checkins([infusion])
    return infusion


@dataclass(frozen=True)
class ReminderHolds:
    """Of some infusions, those whose day-before reminder must wait for a plan, and those a plan stopped."""

    plan_needed: frozenset[int]
    stopped: frozenset[int]


def reminder_holds(*, infusion_ids: Iterable[int]) -> ReminderHolds:
    """For the dispatcher: one query for a batch of day-before reminders."""
    ids = list(infusion_ids)
    if not ids:
        return ReminderHolds(frozenset(), frozenset())
    rows = with_plan_state(Infusion.objects.filter(pk__in=ids)).values_list("pk", "needs_plan", "plan_decision")
    return ReminderHolds(
        plan_needed=frozenset(pk for pk, needed, _ in rows if needed),
        stopped=frozenset(pk for pk, needed, decision in rows if not needed and decision == InfusionPlan.Decision.STOP),
    )
