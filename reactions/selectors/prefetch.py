"""Loading a page's related rows in a bounded number of queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.db.models import (
    Prefetch,
    prefetch_related_objects,
)

from reactions.models import (
    ReactionReport,
    ReportedSymptom,
)


def _prefetch_where(instances: list[Any], present: str, lookup: str | Prefetch) -> None:
    """Prefetch only for the instances whose attribute `present` (an annotation, a foreign key's id) is set.

    With a Prefetch's ``to_attr``, the others get an empty list there; a foreign key left empty needs
    nothing (Django answers None without a query).
    """
    having = [instance for instance in instances if getattr(instance, present)]
    to_attr = lookup.to_attr if isinstance(lookup, Prefetch) else None
    if to_attr:
        for instance in instances:
            if not getattr(instance, present):
                setattr(instance, to_attr, [])
    if having:
        prefetch_related_objects(having, lookup)


def attach_symptoms(reports: Sequence[ReactionReport]) -> None:
    """Set ``symptom_list`` on each report: its symptoms in the order they were entered, all in one query.

    Grouped here rather than by prefetch_related: the same one query, without a prefetch's work per report.
    """
    by_report: defaultdict[int, list[ReportedSymptom]] = defaultdict(list)
    if reports:
        for symptom in ReportedSymptom.objects.filter(report_id__in=[report.pk for report in reports]).order_by("pk"):
            by_report[symptom.report_id].append(symptom)
    for report in reports:
        report.symptom_list = by_report[report.pk]
