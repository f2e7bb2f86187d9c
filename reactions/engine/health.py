"""The engine's health for /health/: the dispatcher's last pass and the oldest unsent message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from reactions.engine.dispatcher import DISPATCHER
from reactions.models import (
    Heartbeat,
    OutboundEmail,
)


@dataclass(frozen=True)
class EngineHealth:
    """What /health/ reports of the follow-up and alert engine."""

    last_tick_at: datetime | None
    last_tick_finished_at: datetime | None
    oldest_unsent_at: datetime | None
    checked_at: datetime

    @property
    def tick_age(self) -> float | None:
        return None if self.last_tick_at is None else (self.checked_at - self.last_tick_at).total_seconds()

    @property
    def oldest_unsent_age(self) -> float:
        return (
            0.0
            if self.oldest_unsent_at is None
            else max(0.0, (self.checked_at - self.oldest_unsent_at).total_seconds())
        )

    @property
    def problems(self) -> list[str]:
        found = []
        if self.tick_age is None:
            found.append("the dispatcher has never run")
        elif self.tick_age > settings.HEALTH_MAX_TICK_AGE_SECONDS:
            found.append(
                f"the dispatcher's last pass started {self.tick_age:.0f} s ago "
                f"(more than {settings.HEALTH_MAX_TICK_AGE_SECONDS} s: is beat or every worker stopped?)"
            )
        if self.oldest_unsent_age > settings.HEALTH_MAX_UNSENT_AGE_SECONDS:
            found.append(
                f"a message has waited {self.oldest_unsent_age:.0f} s unsent "
                f"(more than {settings.HEALTH_MAX_UNSENT_AGE_SECONDS} s: is the mail server refusing?)"
            )
        return found


def engine_health() -> EngineHealth:
    """The dispatcher's last pass, and the oldest message queued and not yet sent (two indexed reads)."""
    beat = Heartbeat.objects.filter(name=DISPATCHER).first()
    oldest = (
        OutboundEmail.objects.filter(status__in=[OutboundEmail.Status.PENDING, OutboundEmail.Status.SENDING])
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    return EngineHealth(
        last_tick_at=beat.started_at if beat else None,
        last_tick_finished_at=beat.finished_at if beat else None,
        oldest_unsent_at=oldest,
        checked_at=timezone.now(),
    )
