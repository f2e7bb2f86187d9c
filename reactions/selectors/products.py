"""The product and lot report: infusions, patients and reaction rates."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from django.db.models import (
    Exists,
    OuterRef,
)
from django.utils import timezone

from reactions.domain import dates
from reactions.models import (
    Clinic,
    Infusion,
    LotSignal,
    ReactionReport,
)


def product_report(*, clinic: Clinic, date_from: date | None = None, date_to: date | None = None) -> dict[str, Any]:
    """Infusions, patients and reaction rates per product and per lot, for a date range."""
    infusions = Infusion.objects.filter(
        patient__clinic=clinic,
        status=Infusion.Status.GIVEN,
        **dates.within("started_at", date_from, date_to, timezone.get_current_timezone()),
    )
    # One row per infusion (no join fan-out over its reports): whether it has any report, any severe one.
    # An infusion counts as having a severe reaction if any of its reports is severe after review.
    reports = ReactionReport.objects.filter(infusion=OuterRef("pk"))
    severe_reports = reports.filter(ReactionReport.SEVERE_AFTER_REVIEW)
    per_infusion = (
        infusions.annotate(has_reaction=Exists(reports), has_severe=Exists(severe_reports))
        .values_list("product", "product_other", "lot_number", "patient_id", "has_reaction", "has_severe")
        .order_by()  # summed below: the default ordering would only add a sort
    )

    # One query for both tables, summed here: per lot, then the lots per product. product_other is part
    # of every group: two different "other" products are two rows.
    def totals() -> list:
        return [0, set(), 0, 0]  # infusions, patient ids, with a reaction, with a severe one

    lots: defaultdict[tuple, list] = defaultdict(totals)  # (product, product_other, lot) -> totals
    for product, product_other, lot_number, patient_id, has_reaction, has_severe in per_infusion:
        group = lots[(product, product_other, lot_number)]
        group[0] += 1
        group[1].add(patient_id)
        group[2] += has_reaction
        group[3] += has_severe
    products: defaultdict[tuple, list] = defaultdict(totals)  # (product, product_other) -> summed over its lots
    for (product, product_other, _lot), (n, patients, with_reaction, severe) in lots.items():
        group = products[(product, product_other)]
        group[0] += n
        group[1] |= patients
        group[2] += with_reaction
        group[3] += severe

    names = {key: Infusion.name_of_product(*key) for key in products}  # once per product, not once per lot

    def rows(groups: dict[tuple, list]) -> list[dict[str, Any]]:
        out = []
        for key in sorted(groups, key=lambda k: [v or "" for v in k]):
            n, patients, with_reaction, severe = groups[key]
            product, product_other = key[0], key[1]
            row: dict[str, Any] = {
                "product": product,
                "product_other": product_other,
                "product_name": names[(product, product_other)],
                "infusions": n,
                "patients": len(patients),
                "with_reaction": with_reaction,
                "severe": severe,
                "mild": with_reaction - severe,
                "mild_rate": (with_reaction - severe) / n,
                "severe_rate": severe / n,
            }
            if len(key) == 3:
                row["lot_number"] = key[2]
            out.append(row)
        return out

    signals = LotSignal.objects.filter(clinic=clinic).order_by("-created_at")[:20]
    return {"products": rows(products), "lots": rows(lots), "signals": list(signals)}
