"""Reads: one module per page family, each in a bounded number of queries."""

from . import (
    audit,
    burden,
    clinic,
    history,
    patient_home,
    pharmacovigilance,
    plans,
    prefetch,
    products,
    push,
    response_times,
    timeline,
    triage_queue,
)

__all__ = [
    "audit",
    "burden",
    "clinic",
    "history",
    "patient_home",
    "pharmacovigilance",
    "plans",
    "prefetch",
    "products",
    "push",
    "response_times",
    "timeline",
    "triage_queue",
]
