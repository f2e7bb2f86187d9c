"""SMS written to files, one per message (like Django's file e-mail backend): the embedded default."""

from __future__ import annotations

import uuid
from pathlib import Path

from django.utils import timezone

from reactions.channels.sms.base import BaseSmsBackend, SmsTemporaryError


class SmsBackend(BaseSmsBackend):
    def __init__(self, *, path: str) -> None:
        self.path = Path(path)

    def send(self, to: str, body: str) -> str:
        sid = uuid.uuid4().hex
        now = timezone.now()
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            (self.path / f"{now:%Y%m%d-%H%M%S}-{sid}.txt").write_text(
                f"To: {to}\nDate: {now.isoformat()}\n\n{body}\n", encoding="utf-8"
            )
        except OSError as error:
            raise SmsTemporaryError(repr(error)) from error
        return sid
