"""Reads: one module per page family, each in a bounded number of queries."""

from . import (
    audit,
    burden,
    clinic,
    followup_plan,
    history,
    patient_home,
    pharmacovigilance,
    plans,
    prefetch,
    products,
    response_times,
    timeline,
    triage_queue,
)

__all__ = [
    "audit",
    "burden",
    "clinic",
    "followup_plan",
    "history",
    "patient_home",
    "pharmacovigilance",
    "plans",
    "prefetch",
    "products",
    "response_times",
    "timeline",
    "triage_queue",
]
