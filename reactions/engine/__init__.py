"""The follow-up and alert engine: the minute tick"s dispatcher and the outbox"s delivery."""

from . import delivery, dispatcher, health, receipts, undeliverable

__all__ = ["delivery", "dispatcher", "health", "receipts", "undeliverable"]
