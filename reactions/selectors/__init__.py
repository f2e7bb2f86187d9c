"""Reads: one module per page family, each in a bounded number of queries."""

from . import (
    audit,
    burden,
    caregivers,
    checkins,
    clinic,
    followup_plan,
    history,
    patient_home,
    pharmacovigilance,
    plans,
    prefetch,
    products,
    prompt_response,
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
    "followup_plan",
    "history",
    "patient_home",
    "pharmacovigilance",
    "plans",
    "prefetch",
    "products",
    "prompt_response",
    "response_times",
    "timeline",
    "triage_queue",
]
