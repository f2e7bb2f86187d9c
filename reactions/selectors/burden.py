"""The symptom burden of a patient's infusions, for the chart on the timeline and the printable summary."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from functools import reduce
from itertools import pairwise
from operator import add

from django.db.models import Count, Exists, Expression, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from reactions.charts import GRADE_WEIGHTS, MAX_INFUSIONS, BurdenChart, BurdenRow, burden_chart, highest_rate
from reactions.models import Infusion, RateChange, ReactionReport, ReportedSymptom, User


def _highest_grades_summed() -> Expression:
    """The sum, over the distinct symptoms of the rows grouped, of each one's highest grade weight.

    A headache reported mild, then severe, then moderate about the same infusion weighs 3, not 6:
    each report repeats how the patient feels, it does not add a symptom. A symptom whose highest
    weight is w reaches each of the levels 1..w, so the sum of highest weights is the number of
    distinct symptoms reaching weight 1, plus those reaching 2, and so on (each level counted with the
    step up to it): one flat aggregate, where a maximum per symptom and then a sum would need a
    subquery inside the subquery.
    """
    levels = sorted(set(GRADE_WEIGHTS.values()))
    terms = []
    for below, level in pairwise([0, *levels]):
        reaching = [grade for grade, weight in GRADE_WEIGHTS.items() if weight >= level]
        count = Count("code", distinct=True, filter=Q(grade__in=reaching))
        terms.append(count if level - below == 1 else count * (level - below))
    return reduce(add, terms)


def symptom_burden(
    *, patient: User, since: datetime | None = None, until: datetime | None = None, limit: int = MAX_INFUSIONS
) -> BurdenChart:
    """The patient's last ``limit`` given infusions (oldest first) with their symptom burden.

    One query whatever the number of infusions, reports and symptoms (two when some infusion has rate
    changes): the database counts each infusion's reports and severe reports and sums, over its
    distinct symptoms, the weight of each one's highest grade, so that no report or symptom is ever
    loaded as a model instance.
    """
    infusions = Infusion.objects.filter(patient=patient, status=Infusion.Status.GIVEN)
    if since is not None:
        infusions = infusions.filter(started_at__gte=since)
    if until is not None:
        infusions = infusions.filter(started_at__lt=until)
    # .order_by() clears ReactionReport's default ordering, which would otherwise split the groups.
    reports = ReactionReport.objects.filter(infusion=OuterRef("pk")).order_by().values("infusion")
    symptoms = ReportedSymptom.objects.filter(report__infusion=OuterRef("pk")).order_by().values("report__infusion")
    chosen = list(
        infusions.order_by("-started_at", "-pk")
        .only("started_at", "product", "product_other", "lot_number", "premedication", "pre_hydrated")
        .annotate(
            report_count=Coalesce(Subquery(reports.annotate(n=Count("pk")).values("n")), 0),
            severe_reports=Coalesce(
                Subquery(reports.filter(ReactionReport.SEVERE_AFTER_REVIEW).annotate(n=Count("pk")).values("n")), 0
            ),
            burden=Coalesce(Subquery(symptoms.annotate(b=_highest_grades_summed()).values("b")), 0),
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
