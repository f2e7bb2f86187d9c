"""Writes: one module per domain, each function keyword-only and named <entity>_<action>.

Anything that changes more than one row runs in one transaction, so a failure leaves nothing half-saved."""

from . import (
    accounts,
    audit,
    caregivers,
    checkins,
    followups,
    infusions,
    links,
    lot_signals,
    messages,
    outbox,
    pharmacovigilance,
    plans,
    reports,
    sms,
    triage,
    versions,
)

__all__ = [
    "accounts",
    "audit",
    "caregivers",
    "checkins",
    "followups",
    "infusions",
    "links",
    "lot_signals",
    "messages",
    "outbox",
    "pharmacovigilance",
    "plans",
    "reports",
    "sms",
    "triage",
    "versions",
]
