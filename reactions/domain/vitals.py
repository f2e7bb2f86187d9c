"""Safe-range rules for vitals recorded during an infusion. Pure: no database."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

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
