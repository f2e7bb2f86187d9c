"""Run one dispatcher pass by hand: for operators, and for cron-only deployments."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from reactions import engine


class Command(BaseCommand):
    help = (
        "Queue everything that is due (prompts, reminders, alerts, daily reminders) and deliver pending "
        "messages on every channel (e-mail, SMS)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = engine.dispatcher.dispatch_tick()
        for name, value in result.as_dict().items():
            self.stdout.write(f"{name:>17}: {value}")
