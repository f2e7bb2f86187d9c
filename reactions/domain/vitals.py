"""Limits for what is recorded during an infusion: vitals and infusion rates. Pure: no database.

Two kinds of limit: what is *possible* (outside it a value is a typo; forms refuse it and the database
holds the same limits as constraints), and what is *safe* (outside it a value is saved, highlighted and
raises a review flag; each clinic may change its ranges).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from django.db.models import TextChoices

# Physiologically possible values, bounds included.
POSSIBLE: dict[str, tuple[int, int]] = {
    "systolic": (40, 300),
    "diastolic": (20, 200),
    "pulse": (20, 250),
    "temperature": (30, 45),
}

# Adult ranges in which a value during an infusion needs no review; a clinic can change them.
DEFAULT_SAFE_RANGES: dict[str, list[float]] = {
    "systolic": [90, 160],
    "diastolic": [50, 100],
    "pulse": [50, 110],
    "temperature": [35.5, 37.9],
}


class RateUnit(TextChoices):
    ML_KG_H = "ml_kg_h", "mL/kg/h"
    ML_H = "ml_h", "mL/h"


# The highest possible IVIG rate in each unit, bound included: above it the unit is wrong.
RATE_LIMITS: dict[str, Decimal] = {RateUnit.ML_H: Decimal("1000"), RateUnit.ML_KG_H: Decimal("15")}

UNITS = {"systolic": "mmHg", "diastolic": "mmHg", "pulse": "/min", "temperature": "°C"}
LABELS = {"systolic": "systolic BP", "diastolic": "diastolic BP", "pulse": "pulse", "temperature": "temperature"}


def out_of_range(values: Mapping[str, int | Decimal | float | None], ranges: Mapping[str, list[float]]) -> list[str]:
    """Names of the given values that fall outside their [low, high] safe range (bounds included as safe)."""
    outside = []
    for name, value in values.items():
        if value is None or name not in ranges:
            continue
        low, high = ranges[name]
        if not (Decimal(str(low)) <= Decimal(str(value)) <= Decimal(str(high))):
            outside.append(name)
    return outside


def describe(name: str, value: int | Decimal | float | None) -> str:
    return f"{LABELS[name]} {value} {UNITS[name]}"
