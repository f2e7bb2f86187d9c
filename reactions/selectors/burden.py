"""The symptom burden of a patient's infusions, for the chart on the timeline and the printable summary."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.db.models import Case, Count, Exists, OuterRef, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from reactions.charts import GRADE_WEIGHTS, MAX_INFUSIONS, BurdenChart, BurdenRow, burden_chart, highest_rate
from reactions.models import Infusion, RateChange, ReactionReport, ReportedSymptom, User


def symptom_burden(
    *, patient: User, since: datetime | None = None, until: datetime | None = None, limit: int = MAX_INFUSIONS
) -> BurdenChart:
    """The patient's last ``limit`` given infusions (oldest first) with their symptom burden.

    One query whatever the number of infusions, reports and symptoms (two when some infusion has rate
    changes): the database counts each infusion's reports and severe reports and sums its grade
    weights, so that no report or symptom is ever loaded as a model instance.
    """
    infusions = Infusion.objects.filter(patient=patient, status=Infusion.Status.GIVEN)
    if since is not None:
        infusions = infusions.filter(started_at__gte=since)
    if until is not None:
        infusions = infusions.filter(started_at__lt=until)
    # .order_by() clears ReactionReport's default ordering, which would otherwise split the groups.
    reports = ReactionReport.objects.filter(infusion=OuterRef("pk")).order_by().values("infusion")
    weight = Case(*(When(grade=grade, then=Value(w)) for grade, w in GRADE_WEIGHTS.items()), default=Value(0))
    symptoms = ReportedSymptom.objects.filter(report__infusion=OuterRef("pk")).order_by().values("report__infusion")
    chosen = list(
        infusions.order_by("-started_at", "-pk")
        .only("started_at", "product", "product_other", "lot_number", "premedication", "pre_hydrated")
        .annotate(
            report_count=Coalesce(Subquery(reports.annotate(n=Count("pk")).values("n")), 0),
            severe_reports=Coalesce(
                Subquery(reports.filter(ReactionReport.SEVERE_AFTER_REVIEW).annotate(n=Count("pk")).values("n")), 0
            ),
            burden=Coalesce(Subquery(symptoms.annotate(b=Sum(weight)).values("b")), 0),
            has_rate_changes=Exists(RateChange.objects.filter(infusion=OuterRef("pk"))),
        )[:limit]
    )
    rate_changes: dict[int, list[RateChange]] = defaultdict(list)
    with_rates = [infusion.pk for infusion in chosen if infusion.has_rate_changes]
    if with_rates:
        for change in (
            RateChange.objects.filter(infusion_id__in=with_rates).only("infusion_id", "rate", "unit").order_by()
        ):
            rate_changes[change.infusion_id].append(change)
    rows = [
        BurdenRow(
            infusion_id=infusion.pk,
            started_at=infusion.started_at,
            date=timezone.localtime(infusion.started_at).date(),
            product=infusion.product_name,
            lot=infusion.lot_number,
            premedication=infusion.premedication,
            pre_hydrated=infusion.pre_hydrated,
            max_rate=highest_rate(rate_changes[infusion.pk]),
            burden=infusion.burden,
            severe=infusion.severe_reports > 0,
            reports=infusion.report_count,
        )
        for infusion in reversed(chosen)
    ]
    return burden_chart(rows)
