"""SMS kept in memory (like Django's locmem e-mail backend), for tests: see ``outbox``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from reactions.channels.sms.base import BaseSmsBackend


@dataclass(frozen=True)
class SentSms:
    to: str
    body: str
    sid: str


# Every text "sent" in this process, oldest first; tests empty it.
outbox: list[SentSms] = []


class SmsBackend(BaseSmsBackend):
    def send(self, to: str, body: str) -> str:
        sms = SentSms(to=to, body=body, sid=uuid.uuid4().hex)
        outbox.append(sms)
        return sms.sid
