"""Writes: one module per domain, each function keyword-only and named <entity>_<action>.

Anything that changes more than one row runs in one transaction, so a failure leaves nothing half-saved."""

from . import (
    accounts,
    audit,
    checkins,
    followups,
    infusions,
    links,
    lot_signals,
    outbox,
    pharmacovigilance,
    plans,
    reports,
    triage,
    versions,
)

__all__ = [
    "accounts",
    "audit",
    "checkins",
    "followups",
    "infusions",
    "links",
    "lot_signals",
    "outbox",
    "pharmacovigilance",
    "plans",
    "reports",
    "triage",
    "versions",
]
