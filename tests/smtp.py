"""A real SMTP server for tests (aiosmtpd), switchable between accepting and refusing mail.

Mail sent by another process (a Celery worker) never reaches Django's in-memory outbox,
so tests that need to see it run this listener and point EMAIL_URL at it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller

# aiosmtpd logs every SMTP command at INFO: too loud for test output.
logging.getLogger("mail.log").setLevel(logging.WARNING)


class _Handler:
    def __init__(self, listener: SmtpListener) -> None:
        self.listener = listener

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd hook)
        if self.listener.reject_recipients or address.lower() in self.listener.reject_addresses:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd hook)
        if self.listener.delay_seconds:
            await asyncio.sleep(self.listener.delay_seconds)
        if self.listener.refuse:
            return "451 4.3.0 try again later"
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.listener.lock:
            self.listener.messages.append(message)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


class SmtpListener:
    """SmtpListener().start(); .port; .messages; .refuse (451, temporary); .reject_recipients (550, everyone);
    .reject_addresses (550 for these addresses only); .delay_seconds (a slow server)."""

    def __init__(self, port: int = 0) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse = False
        self.reject_recipients = False
        self.reject_addresses: set[str] = set()  # these alone are refused for good (550)
        self.delay_seconds: float = 0
        self.lock = threading.Lock()
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=port or _free_port())

    @property
    def port(self) -> int:
        return self._controller.port

    def start(self) -> SmtpListener:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
