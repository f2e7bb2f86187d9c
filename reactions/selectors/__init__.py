"""Reads: one module per page family, each in a bounded number of queries."""

from . import (
    audit,
    burden,
    caregivers,
    checkins,
    clinic,
    history,
    patient_home,
    pharmacovigilance,
    plans,
    prefetch,
    products,
    prompt_response,
    push,
    response_times,
    timeline,
    triage_queue,
)

__all__ = [
    "audit",
    "burden",
    "caregivers",
    "checkins",
    "clinic",
    "history",
    "patient_home",
    "pharmacovigilance",
    "plans",
    "prefetch",
    "products",
    "prompt_response",
    "push",
    "response_times",
    "timeline",
    "triage_queue",
]
