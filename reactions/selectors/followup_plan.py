"""Which prompts each of a patient's infusions should have, and why: its course and its risk.

One read serves the engine (reactions/services/followups.py schedules exactly these offsets) and the pages
(the patient's and the clinician's infusion pages say "Day 2 of 3 of a course" and why extra prompts
come), so what is shown is what is scheduled. The rules themselves are pure: reactions/domain/courses.py
and reactions/domain/followup_risk.py.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from reactions.domain import courses, followup_risk, schedule
from reactions.models import FollowUp, Infusion, RateChange, User

# An infusion that ended longer ago than this has no prompt left to schedule (the latest offset plus
# the longest quiet-hours shift), and cannot change whether a later infusion ends its course.
RELEVANT_FOR = timedelta(hours=schedule.MAX_OFFSET_HOURS) + timedelta(days=2)
# How far around an infusion the pages look for the rest of its course (courses last 2–5 days).
SHOWN_COURSE_REACH = timedelta(days=14)


@dataclass(frozen=True)
class InfusionFollowupPlan:
    infusion_id: int
    place: courses.CoursePlace  # among the given, ended infusions: what the engine schedules from
    clinic_offsets: tuple[int, ...]
    risk: followup_risk.FollowupRisk
    offsets: tuple[int, ...]  # what the engine schedules: empty unless given and ended

    @property
    def extra_offsets(self) -> tuple[int, ...]:
        """The prompts the risk rules add to the clinic's, for this infusion."""
        return tuple(h for h in self.offsets if h not in self.clinic_offsets)

    @property
    def waits_for_course_end(self) -> bool:
        """An earlier day of a course: its later prompts come after the course's last day."""
        return not self.place.is_last


@dataclass(frozen=True)
class _Row:
    pk: int
    status: str
    started_at: datetime
    ended_at: datetime | None
    product: str
    product_other: str
    lot_number: str
    dose_grams: Decimal | None

    @property
    def scheduled_from(self) -> bool:
        return self.status == Infusion.Status.GIVEN and self.ended_at is not None


def followup_plans(*, patient: User, now: datetime, include: Iterable[int] = ()) -> dict[int, InfusionFollowupPlan]:
    """The plan of each of the patient's given, ended infusions that can still have prompts (and of `include`)."""
    clinic = patient.clinic
    tz = patient.tzinfo
    rows = [
        _Row(*values)
        for values in Infusion.objects.filter(patient=patient, status=Infusion.Status.GIVEN)
        .order_by("started_at", "pk")
        .values_list("pk", "status", "started_at", "ended_at", "product", "product_other", "lot_number", "dose_grams")
    ]
    wanted_ids = set(include)
    relevant = [r for r in rows if (r.scheduled_from and r.ended_at >= now - RELEVANT_FOR) or r.pk in wanted_ids]
    places = courses.course_places(
        courses.CourseDay(key=r.pk, local_date=courses.local_date(r.started_at, tz), started_at=r.started_at)
        for r in rows
        if r.scheduled_from and (r.ended_at >= now - RELEVANT_FOR or r.pk in wanted_ids)
    )
    rates: dict[int, list[tuple[Decimal, str]]] = defaultdict(list)
    for infusion_id, rate, unit in RateChange.objects.filter(infusion_id__in=[r.pk for r in relevant]).values_list(
        "infusion_id", "rate", "unit"
    ):
        rates[infusion_id].append((rate, unit))
    factors = _factors(rows, relevant, rates, tz)
    clinic_offsets = tuple(sorted(set(clinic.followup_offsets_hours)))
    threshold = clinic.followup_rate_threshold_ml_kg_h
    plans: dict[int, InfusionFollowupPlan] = {}
    for row in relevant:
        place = places.get(row.pk) or courses.CoursePlace(day=1, of=1, is_last=True, keys=(row.pk,))
        days = [factors[key] for key in place.keys] if place.is_last else [factors[row.pk]]
        risk = followup_risk.followup_risk(
            patient=patient.risk_factors, infusions=days, rate_threshold_ml_kg_h=threshold
        )
        offsets: tuple[int, ...] = ()
        if row.scheduled_from:
            offsets = tuple(courses.offsets_for_place(place, [*clinic_offsets, *risk.extra_offsets_hours]))
        plans[row.pk] = InfusionFollowupPlan(
            infusion_id=row.pk, place=place, clinic_offsets=clinic_offsets, risk=risk, offsets=offsets
        )
    return plans


def _factors(
    rows: list[_Row], relevant: list[_Row], rates: dict[int, list[tuple[Decimal, str]]], tz: ZoneInfo
) -> dict[int, followup_risk.InfusionFactors]:
    """Each relevant infusion compared with the patient's given infusions before it."""
    dose_by_date: dict[date, Decimal] = defaultdict(Decimal)
    for r in rows:
        if r.dose_grams is not None:
            dose_by_date[courses.local_date(r.started_at, tz)] += r.dose_grams
    factors = {}
    for row in relevant:
        day = courses.local_date(row.started_at, tz)
        earlier = [r for r in rows if (r.started_at, r.pk) < (row.started_at, row.pk)]
        first = not earlier
        factors[row.pk] = followup_risk.InfusionFactors(
            local_date=day,
            first_infusion=first,
            first_with_product=not first
            and all((r.product, r.product_other) != (row.product, row.product_other) for r in earlier),
            first_with_lot=not first and all(r.lot_number != row.lot_number for r in earlier),
            lot_recorded=bool(row.lot_number),
            dose_grams_that_day=dose_by_date[day] if row.dose_grams is not None else None,
            rates=tuple(rates.get(row.pk, ())),
        )
    return factors


def course_places_shown(*, patient: User, infusions: Sequence[Infusion]) -> dict[int, courses.CoursePlace]:
    """ "Day 2 of 3": each infusion among the patient's given and planned ones around it."""
    if not infusions:
        return {}
    tz = patient.tzinfo
    around = Infusion.objects.filter(
        patient=patient,
        started_at__gte=min(i.started_at for i in infusions) - SHOWN_COURSE_REACH,
        started_at__lte=max(i.started_at for i in infusions) + SHOWN_COURSE_REACH,
    ).values_list("pk", "started_at")
    return courses.course_places(
        courses.CourseDay(key=pk, local_date=courses.local_date(started_at, tz), started_at=started_at)
        for pk, started_at in around
    )


@dataclass(frozen=True)
class InfusionFollowupSummary:
    """What an infusion's page says about its follow-up: its course, the prompts and why any were added."""

    shown_place: courses.CoursePlace
    plan: InfusionFollowupPlan | None  # None: not given (yet)
    prompts: list[FollowUp]


def infusion_followup_summary(*, infusion: Infusion, now: datetime | None = None) -> InfusionFollowupSummary:
    now = now or timezone.now()
    patient = infusion.patient
    plan = followup_plans(patient=patient, now=now, include=[infusion.pk]).get(infusion.pk)
    return InfusionFollowupSummary(
        shown_place=course_places_shown(patient=patient, infusions=[infusion])[infusion.pk],
        plan=plan,
        prompts=list(infusion.followups.filter(kind=FollowUp.Kind.PROMPT).exclude(status=FollowUp.Status.CANCELLED)),
    )


def timeline_followup(*, patient: User, infusions: Sequence[Infusion], now: datetime | None = None) -> None:
    """Set `course_place` and `followup_plan` on each infusion of a timeline page (two queries and a few)."""
    now = now or timezone.now()
    plans = followup_plans(patient=patient, now=now, include=[i.pk for i in infusions])
    places = course_places_shown(patient=patient, infusions=infusions)
    for infusion in infusions:
        infusion.course_place = places.get(infusion.pk)
        infusion.followup_plan = plans.get(infusion.pk)
