"""Reads: one module per page family, each in a bounded number of queries."""

from . import (
    audit,
    burden,
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
